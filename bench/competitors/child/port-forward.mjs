// bench child: @kubernetes/client-node's PortForward behind a 127.0.0.1 listener, as its README
// shows (each connection its own WebSocket). argv: kubeconfig namespace pod port
// Prints {"local": PORT} once listening; forwards until stdin closes.
import { createServer } from "node:net";
import { KubeConfig, PortForward } from "@kubernetes/client-node";

const [kubeconfig, namespace, name, port] = process.argv.slice(2);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const forward = new PortForward(kc);
const server = createServer((socket) => {
  forward.portForward(namespace, name, [Number(port)], socket, null, socket).catch((e) => {
    console.error(String(e));
    socket.destroy();
  });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ local: server.address().port })));
process.stdin.resume();
process.stdin.on("end", () => server.close());
