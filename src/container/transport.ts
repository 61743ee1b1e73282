/**
 * How a container talks to its executor: the socket pair at the fd named by
 * `TRIBUTARY_CONTAINER_FD` (the sandbox and process backends), in the protocol's byte frames
 * (core/wire/byte-frames.ts); a Unix socket named by `TRIBUTARY_CONTAINER_SOCKET` (the OCI backend,
 * where no inherited fd reaches the container; the process backend can use it too), in v8 frames.
 * Same messages, same order, either way.
 */
import { connect, Socket } from "node:net";
import { encodeMessage, MessageDecoder } from "../core/wire/byte-frames.js";
import { encodeFrame, FrameDecoder } from "../core/wire/frames.js";
import type { FromContainer, ToContainer } from "../core/wire/container.js";

export interface ContainerTransport {
  send(msg: FromContainer): void;
  onMessage(h: (msg: ToContainer) => void): void;
  /** The executor went away: nobody will read our results any more. */
  onClose(h: () => void): void;
}

function pipeTransport(fd: number): ContainerTransport {
  const socket = new Socket({ fd, readable: true, writable: true });
  const decoder = new MessageDecoder();
  let onMsg: (m: ToContainer) => void = () => {};
  socket.on("data", (chunk: Buffer) => {
    for (const m of decoder.push(chunk)) onMsg(m as ToContainer);
  });
  return {
    send: (msg) => void socket.write(encodeMessage(msg)),
    onMessage: (h) => (onMsg = h),
    onClose: (h) => {
      socket.on("end", h);
      socket.on("close", h);
      socket.on("error", h);
    },
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
  const fd = process.env.TRIBUTARY_CONTAINER_FD;
  // Not the function's business (as TRIBUTARY_NODE in main.ts).
  delete process.env.TRIBUTARY_CONTAINER_FD;
  if (fd) return pipeTransport(Number(fd));
  const path = process.env.TRIBUTARY_CONTAINER_SOCKET;
  // Started by hand: failing loudly beats hanging.
  if (!path) throw new Error("container: no channel (TRIBUTARY_CONTAINER_FD or TRIBUTARY_CONTAINER_SOCKET)");
  return socketTransport(path);
}
