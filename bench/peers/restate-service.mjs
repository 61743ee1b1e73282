// The Restate side of `npm run bench:peers`: the same workloads as bench/apps.ts, as one Restate
// service. Copied into .peers/restate/ and run there with Node 24 (the SDK's requirement), so its
// imports resolve against the peers' own node_modules and never against the project's.
//
// "Nested durable call": in Tributary each nested call is a new journaled call that runs in another
// container. The Restate equivalent is a service-to-service call (a new journaled invocation that
// the Restate server routes back to a handler), so chain10 makes 10 of those. steps10 (10 `ctx.run`
// steps in one invocation) is measured too, for reference: it is cheaper, since no new invocation
// is made.
import http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";

const Bench = { name: "Bench" };

const bench = restate.service({
  name: "Bench",
  handlers: {
    trivial: async () => "ok",
    link: async (ctx, n) => (n <= 0 ? 0 : 1 + (await ctx.serviceClient(Bench).link(n - 1))),
    chain10: async (ctx) => 1 + (await ctx.serviceClient(Bench).link(9)),
    steps10: async (ctx) => {
      let total = 0;
      for (let i = 0; i < 10; i++) total += await ctx.run(`step-${i}`, () => 1);
      return total;
    },
  },
});

// Loopback only: an h2c server of our own instead of `listen()`, which binds every interface.
const server = http2.createServer(restate.endpoint().bind(bench).http2Handler());
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  // The parent (bench/peers/run.ts) reads this line to learn the port.
  console.log(`restate-service listening on ${server.address().port}`);
});
