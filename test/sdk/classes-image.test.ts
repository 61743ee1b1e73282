// @cls rules and the Image builder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cls, fn, Image, SDKUsageError } from "tributary";

function rejects(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof SDKUsageError && re.test(e.message));
}

test("@cls: methods become Class.method functions; `new` builds a handle without running the constructor", async () => {
  let constructed = 0;
  @cls()
  class SdkCompute {
    factor = (constructed++, 3);
    @fn({ cpu: 2 })
    async run(x: number): Promise<number> {
      return x * this.factor;
    }
  }
  const handle = new SdkCompute();
  assert.equal(constructed, 0, "the handle never runs the constructor");
  assert.ok(handle instanceof SdkCompute);
  const run = handle.run as unknown as { functionName: string; spec: { cpu: number; className?: string } };
  assert.equal(run.functionName, "SdkCompute.run");
  assert.equal(run.spec.cpu, 2);
  assert.equal(run.spec.className, "SdkCompute");
  // Outside a request the call runs in-process on the one real instance.
  assert.equal(await handle.run(2), 6);
  assert.equal(await new SdkCompute().run(3), 9);
  assert.equal(constructed, 1);
});

test("@cls: a constructor with parameters is rejected", () => {
  rejects(() => {
    // @ts-expect-error: the types reject a constructor with parameters too; this checks the runtime.
    @cls()
    class SdkWithParams {
      constructor(readonly x: number) {}
      @fn()
      async run(): Promise<number> {
        return this.x;
      }
    }
    return SdkWithParams;
  }, /the constructor must take no parameters/);
});

test("@cls without any @fn method, and @fn without @cls", async () => {
  rejects(() => {
    @cls()
    class SdkNoMethods {
      async run(): Promise<number> {
        return 1;
      }
    }
    return SdkNoMethods;
  }, /no method is decorated with @fn/);
  class SdkNoCls {
    @fn()
    async run(): Promise<number> {
      return 1;
    }
  }
  await assert.rejects(new SdkNoCls().run(), /its class has no @cls\(\) decorator/);
});

test("@cls options and duplicate class names", () => {
  rejects(() => cls({ initTimeout: 0 }), /option 'initTimeout' must be between 1 and 172800/);
  rejects(() => cls({ bogus: 1 } as never), /option 'bogus' is not a known option/);
  @cls({ name: "SdkDup" })
  class A {
    @fn({ name: "sdk_dup_a" })
    async run(): Promise<number> {
      return 1;
    }
  }
  assert.ok(A);
  rejects(() => {
    @cls({ name: "SdkDup" })
    class B {
      @fn({ name: "sdk_dup_b" })
      async run(): Promise<number> {
        return 1;
      }
    }
    return B;
  }, /class name 'SdkDup' is defined twice/);
});

test("Image: immutable builder, content-addressed spec, validated steps", () => {
  const base = new Image({ name: "ffmpeg", baseImage: "ubuntu:24.04" });
  const img = base.run("apt-get install -y ffmpeg").env("LANG", "C.UTF-8").workdir("app").copy("src", "app/src");
  assert.equal(base.steps.length, 0, "builders return a new image");
  const spec = img.toSpec();
  assert.equal(spec.name, "ffmpeg");
  assert.equal(spec.baseImage, "ubuntu:24.04");
  assert.deepEqual(
    spec.steps.map((s) => s.op),
    ["run", "env", "workdir", "copy"],
  );
  assert.equal(spec.id, img.toSpec().id);
  assert.notEqual(spec.id, base.toSpec().id);
  assert.equal(new Image().name, "default");
  rejects(() => new Image({ name: "bad name" }), /option 'name' must match/);
  rejects(() => new Image({ baseImage: "has space" }), /option 'baseImage' must be an image reference/);
  rejects(() => base.run("  "), /command must be a non-empty string/);
  rejects(() => base.env("1BAD", "x"), /key must be an environment-variable name/);
  rejects(() => base.workdir("../up"), /without '\.\.'/);
  rejects(() => base.copy("a", "../b"), /dest without '\.\.'/);
  const f = fn({ image: img }, async function sdk_with_image() {});
  assert.equal(f.spec.image?.id, spec.id);
});
