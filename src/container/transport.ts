/**
 * How a container talks to its executor: Node's fork channel (the process backend), or a Unix
 * socket named by `TRIBUTARY_CONTAINER_SOCKET` (the OCI backend, where no fork channel reaches the
 * container; the process backend can use it too). Same messages, same order, either way.
 */
import { connect } from "node:net";
import { encodeFrame, FrameDecoder } from "../core/wire/frames.js";
import type { FromContainer, ToContainer } from "../core/wire/container.js";

export interface ContainerTransport {
  send(msg: FromContainer): void;
  onMessage(h: (msg: ToContainer) => void): void;
  /** The executor went away: nobody will read our results any more. */
  onClose(h: () => void): void;
}

function ipcTransport(): ContainerTransport {
  return {
    send(msg) {
      // process.send is only absent when run outside a fork; failing loudly beats hanging.
      if (!process.send) throw new Error("container: no IPC channel (start it with child_process.fork)");
      process.send(msg);
    },
    onMessage: (h) => void process.on("message", (m) => h(m as ToContainer)),
    onClose: (h) => void process.on("disconnect", h),
  };
}

function socketTransport(path: string): ContainerTransport {
  const socket = connect(path);
  const decoder = new FrameDecoder();
  let onMsg: (m: ToContainer) => void = () => {};
  socket.on("data", (chunk: Buffer) => {
    for (const m of decoder.push(chunk)) onMsg(m as ToContainer);
  });
  return {
    send: (msg) => void socket.write(encodeFrame(msg)),
    onMessage: (h) => (onMsg = h),
    onClose: (h) => {
      socket.on("close", h);
      socket.on("error", h);
    },
  };
}

export function openTransport(): ContainerTransport {
  const path = process.env.TRIBUTARY_CONTAINER_SOCKET;
  return path ? socketTransport(path) : ipcTransport();
}
