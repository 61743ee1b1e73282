// Seed "Classes": the constructor runs once per container (say, to load a large model); every @fn
// method is a function named "Class.method". `new MyCompute()` elsewhere is a cheap handle.
import { application, cls, fn } from "tributary";

/** Stands in for an expensive model load. */
function loadLargeModel(): { run(data: string): number } {
  const vocabulary = new Map<string, number>();
  return {
    run: (data: string) => {
      for (const w of data.split(/\s+/).filter(Boolean)) vocabulary.set(w, (vocabulary.get(w) ?? 0) + 1);
      return data.split(/\s+/).filter(Boolean).length;
    },
  };
}

@cls()
export class MyCompute {
  private readonly model = loadLargeModel();

  @fn({ cpu: 4, memory: 16 })
  async run(data: string): Promise<number> {
    return this.model.run(data);
  }
}

/** @example "the quick brown fox" */
export const count_words = application(
  fn(async function count_words(text: string): Promise<number> {
    return await new MyCompute().run(text);
  }),
);
