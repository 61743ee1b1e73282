/** The container backends, as `--backend` and the `backend` option spell them (DESIGN §3). */
export type ContainerBackend = "sandbox" | "process" | "oci";
export const CONTAINER_BACKENDS: readonly ContainerBackend[] = ["sandbox", "process", "oci"];
/** The label under which an executor announces its backend in its hello. */
export const BACKEND_LABEL = "tributary.container-backend";
