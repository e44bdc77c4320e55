"""Tiny capture server: GET serves PAGE; POST /<name> saves the body as OUT/<name>.

A POST to /done also creates OUT/DONE, which the launcher scripts wait for.
Usage: server.py PORT OUT PAGE   (listens on 127.0.0.1 only)
"""
import http.server
import os
import sys

PORT, OUT, PAGE = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(PAGE, 'rb') as f:
            body = f.read()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        data = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        name = os.path.basename(self.path.strip('/')) or 'result'
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()
        if name == 'done':
            open(os.path.join(OUT, 'DONE'), 'w').close()

    def log_message(self, *args):
        pass


http.server.HTTPServer(('127.0.0.1', PORT), Handler).serve_forever()
