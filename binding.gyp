{
  "targets": [
    {
      "target_name": "lvsd_native",
      "sources": [
        "native/addon.cc",
        "native/genl_dump.cc",
        "native/ip_address.cc",
        "native/link_layer.cc",
        "native/netlink_options.cc",
        "native/netns.cc",
        "native/sd_notify.cc",
        "native/syscall_error.cc",
        "native/thread_scheduling.cc",
        "native/vrrp_socket.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_ADDON_API_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
    }
  ]
}
