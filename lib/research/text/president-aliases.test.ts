import { describe, expect, it } from "vitest";
import { withPresidentNames } from "./president-aliases";

describe("withPresidentNames", () => {
  it("adds the full name of a president called by a nickname", () => {
    expect(withPresidentNames("What did FDR say about banks?")).toBe(
      "What did FDR say about banks? Franklin Roosevelt",
    );
    expect(withPresidentNames("Ike and JFK on missiles")).toBe(
      "Ike and JFK on missiles John Kennedy Dwight Eisenhower",
    );
  });

  it("leaves a query without a nickname, or with the word only inside another, as it is", () => {
    expect(withPresidentNames("Why did Clinton say the era of big government is over?")).toBe(
      "Why did Clinton say the era of big government is over?",
    );
    expect(withPresidentNames("Strike pay and the TRAIN act")).toBe("Strike pay and the TRAIN act");
  });
});
