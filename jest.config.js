/** Unit tests (Pulumi mocks, config, schemas) run by `npm test`; the e2e harness has its own config. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/tests/unit"],
  testTimeout: 60000,
};
