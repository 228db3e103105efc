/** Unit tests (Pulumi mocks, config, schemas) run by `npm test`; the e2e harness has its own config. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/tests/unit"],
  testTimeout: 60000,
  // Pulumi keeps its runtime state on the global object; Jest's soft cleanup of globals only warns about it.
  testEnvironmentOptions: { globalsCleanup: "off" },
};
