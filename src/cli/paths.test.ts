import { test } from "node:test";
import assert from "node:assert/strict";
import { blobsFlag, imageFlag, pathFlag, storeFlag } from "./paths.js";
import { CliError } from "./context.js";

const CWD = "/srv/app";

test("relative paths are resolved against the given working directory; absolute ones are kept", () => {
  assert.equal(pathFlag(".tributary/executor", CWD), "/srv/app/.tributary/executor");
  assert.equal(pathFlag("../data", CWD), "/srv/data");
  assert.equal(pathFlag("/var/lib/tributary", CWD), "/var/lib/tributary");
  assert.equal(pathFlag("x", process.cwd()), `${process.cwd()}/x`);
});

test("--store: sqlite paths become absolute, postgres URLs pass through", () => {
  assert.equal(storeFlag("sqlite:.tributary/tributary.db", CWD), "sqlite:/srv/app/.tributary/tributary.db");
  assert.equal(storeFlag("sqlite://rel/db.sqlite", CWD), "sqlite:/srv/app/rel/db.sqlite");
  assert.equal(storeFlag("sqlite:///abs/db.sqlite", CWD), "sqlite:/abs/db.sqlite");
  assert.equal(storeFlag("sqlite::memory:", CWD), "sqlite::memory:");
  assert.equal(storeFlag("db.sqlite", CWD), "sqlite:/srv/app/db.sqlite");
  assert.equal(storeFlag("postgres://u:p@db:5432/x", CWD), "postgres://u:p@db:5432/x");
  assert.equal(storeFlag("postgresql://db/x?schema=s", CWD), "postgresql://db/x?schema=s");
});

test("--store with another scheme is refused, naming the flag and what it takes, password hidden", () => {
  assert.throws(
    () => storeFlag("mysql://root:hunter2@db/x", CWD),
    (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.match(
        e.message,
        /^--store mysql:\/\/root:\*\*\*@db\/x: "mysql:" is not supported; --store takes sqlite:PATH, a file path or postgres:\/\/…$/,
      );
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    },
  );
  assert.throws(() => storeFlag("s3:bucket", CWD), /--store s3:bucket: "s3:" is not supported/);
  assert.throws(() => storeFlag("sqlite:", CWD), /missing the database path/);
  assert.throws(() => storeFlag("  ", CWD), /--store is empty/);
});

test("--blobs: a directory or file:// URL; s3:// and other schemes are refused", () => {
  assert.equal(blobsFlag(".tributary/blobs", CWD), "/srv/app/.tributary/blobs");
  assert.equal(blobsFlag("/data/blobs", CWD), "/data/blobs");
  assert.equal(blobsFlag("file:///data/blobs", CWD), "/data/blobs");
  for (const url of ["s3://bucket/prefix", "gs://bucket", "https://example.com/blobs", "s3:bucket"]) {
    assert.throws(
      () => blobsFlag(url, CWD),
      (e: unknown) => {
        assert.ok(e instanceof CliError);
        assert.match(
          e.message,
          /^--blobs .*is not supported; --blobs takes a local directory \(or a file:\/\/ URL\), and with --store postgres:\/\/… blobs live in the database when --blobs is left out$/,
        );
        return true;
      },
      url,
    );
  }
});

test("--image: the directory after = becomes absolute, a plain image name is untouched", () => {
  assert.equal(imageFlag("ubuntu:24.04", CWD), "ubuntu:24.04");
  assert.equal(imageFlag("ffmpeg=images/ffmpeg", CWD), "ffmpeg=/srv/app/images/ffmpeg");
  assert.equal(imageFlag("ffmpeg=oci:layouts/ffmpeg", CWD), "ffmpeg=oci:/srv/app/layouts/ffmpeg");
  assert.equal(imageFlag("ffmpeg=/abs", CWD), "ffmpeg=/abs");
  assert.throws(() => imageFlag("ffmpeg=", CWD), /--image ffmpeg=: missing the directory/);
});
