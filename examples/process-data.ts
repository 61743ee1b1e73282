// Seed "Application input and output" with models: zod schemas validate the input (400 with the
// failing path) and the output, and give the application its OpenAPI document.
//   input {"name": "John", "age": 30}  →  output {"matches":[{"name":"John","age":30,"id":1}]}
import { z } from "zod";
import { application, fn } from "tributary";

// `examples` shows in the OpenAPI document and is the body of the curl line `tributary dev` prints.
export const PersonSearchQuery = z
  .object({ name: z.string(), age: z.number().int() })
  .meta({ examples: [{ name: "John", age: 30 }] });
export const PersonSearchResult = z.object({ matches: z.array(z.record(z.string(), z.unknown())) });

export const process_data = application(
  { input: PersonSearchQuery, output: PersonSearchResult },
  fn(async function process_data(
    query: z.infer<typeof PersonSearchQuery>,
  ): Promise<z.infer<typeof PersonSearchResult>> {
    return { matches: [{ name: query.name, age: query.age, id: 1 }] };
  }),
);
