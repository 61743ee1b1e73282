// Seed "Applications": each application gets an HTTP entry point named after its function.
import { application, fn } from "tributary";

/** The application `hello_world`. */
export const hello_world = application(
  fn(async function hello_world() {
    console.log("Hello, world!");
  }),
);

/** The application `hola_mundo`. */
export const hola_mundo = application(
  fn(async function hola_mundo() {
    console.log("Hola, mundo!");
  }),
);
