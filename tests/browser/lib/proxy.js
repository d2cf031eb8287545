// A TCP relay between the browser and the gateway, so a test can cut the browser's
// connections without stopping the gateway (a network drop, as opposed to a restart), and
// hold back what the gateway sends so those frames are lost with the connection.
import { createServer, connect } from "node:net";

/** Relays to `targetPort`, listening on `port` (0: any free port). */
export async function startRelay(targetPort, port = 0) {
  const pairs = new Set();
  let holding = false;
  let held = 0;
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const pair = { client, upstream };
    pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.pipe(upstream);
    upstream.on("data", (chunk) => {
      if (holding) held += chunk.length; // never delivered: dropped with the connection
      else client.write(chunk);
    });
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    /** From now on, bytes from the gateway are swallowed until dropAll(). */
    hold() {
      holding = true;
      held = 0;
    },
    heldBytes: () => held,
    /** Resets every open connection, as a dropped network path would; new ones flow again. */
    dropAll() {
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
      holding = false;
    },
    close() {
      this.dropAll();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
