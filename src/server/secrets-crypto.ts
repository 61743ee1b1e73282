/**
 * Secrets at rest: AES-256-GCM with a server key. The ciphertext is `iv (12) | tag (16) | data`.
 * The key comes from `--secret-key` (any string, hashed to 32 bytes) or a key file created once
 * beside the database with mode 0600.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export class SecretBox {
  private readonly key: Buffer;
  constructor(key: Buffer) {
    if (key.byteLength !== 32) throw new Error("secret key must be 32 bytes");
    this.key = key;
  }

  static fromPassphrase(s: string): SecretBox {
    return new SecretBox(createHash("sha256").update(s).digest());
  }

  /** Loads the key file, creating it on first use. */
  static fromKeyFile(path: string): SecretBox {
    if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600 });
    return new SecretBox(Buffer.from(readFileSync(path, "utf8").trim(), "hex"));
  }

  seal(plain: string): Uint8Array {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([c.update(plain, "utf8"), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), data]);
  }

  open(sealed: Uint8Array): string {
    const b = Buffer.from(sealed);
    const d = createDecipheriv("aes-256-gcm", this.key, b.subarray(0, 12));
    d.setAuthTag(b.subarray(12, 28));
    return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString("utf8");
  }
}
