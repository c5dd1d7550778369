# The BGP lab's real-server application: http-listener.mjs's twin in Python, because Python
# starts in a second under the lab VM's emulation where node takes many, and the BGP lab already
# starts four lvsd. Same answer: the server's name and the address the request came in on.
# HTTP/1.1 keep-alive without an idle timeout, one thread per connection (the lab's 200
# long-lived connections), no request log.
#
#   python3 http-listener.py NAME PORT     prints "listening NAME PORT" when ready
import http.server
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        host, port = self.connection.getsockname()[:2]
        body = f'{NAME} {host}:{port}\n'.encode()
        self.send_response(200)
        self.send_header('content-type', 'text/plain')
        self.send_header('content-length', str(len(body)))
        self.send_header('x-served-by', NAME)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


if len(sys.argv) != 3:
    sys.stderr.write('usage: http-listener.py NAME PORT\n')
    sys.exit(2)
NAME = sys.argv[1]
server = Server(('0.0.0.0', int(sys.argv[2])), Handler)
print(f'listening {NAME} {sys.argv[2]}', flush=True)
server.serve_forever()
