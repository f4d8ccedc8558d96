import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../../config/index.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";

test("the broker config's limit defaults equal the protocol's DEFAULT_LIMITS", () => {
  for (const [key, value] of Object.entries(DEFAULT_CONFIG.limits)) {
    assert.equal(value, (DEFAULT_LIMITS as unknown as Record<string, number>)[key], `limits.${key}`);
  }
});
