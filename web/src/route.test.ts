import { describe, expect, it } from "vitest";
import { addressOf, parseRoute } from "./route";

describe("addresses", () => {
  it("read back as the screen they were made for", () => {
    for (const route of [
      { screen: "inbox" }, { screen: "agents" }, { screen: "agent", id: "a 1/2" }, { screen: "settings" },
    ] as const) {
      expect(parseRoute(addressOf(route))).toEqual(route);
    }
  });

  it("lead anything unknown to the inbox", () => {
    expect(parseRoute("")).toEqual({ screen: "inbox" });
    expect(parseRoute("#/nowhere")).toEqual({ screen: "inbox" });
  });
});
