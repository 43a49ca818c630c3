import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readAnswer } from "./structured-answer";

const plan = z.object({ queries: z.array(z.string()).min(1) });

/** What small self-hosted models write when asked for JSON without a schema the server enforces. */
describe("reading a small model's JSON", () => {
  const cases: [string, string][] = [
    ["a trailing comma", '{"queries": ["Louisiana treaty", "New Orleans port",]}'],
    ["single quotes", "{'queries': ['Louisiana treaty', 'New Orleans port']}"],
    [
      "unquoted keys and a comment",
      '{\n  // the searches\n  queries: ["Louisiana treaty", "New Orleans port"]\n}',
    ],
    ["Python literals", "{'queries': ['Louisiana treaty', 'New Orleans port'], 'done': True, 'note': None}"],
    ["curly quotes", "{“queries”: [“Louisiana treaty”, “New Orleans port”]}"],
    [
      "an answer cut at the output cap",
      'Here is the plan:\n```json\n{"queries": ["Louisiana treaty", "New Orleans port"',
    ],
  ];
  for (const [name, text] of cases) {
    it(`reads ${name}`, () => {
      const answer = readAnswer(text, plan);
      expect(answer).toMatchObject({
        success: true,
        data: { queries: ["Louisiana treaty", "New Orleans port"] },
      });
    });
  }

  it("still says what is wrong when there is no JSON at all", () => {
    expect(readAnswer("I cannot help with that.", plan)).toMatchObject({
      success: false,
      problem: expect.stringMatching(/^not JSON/),
    });
  });
});
