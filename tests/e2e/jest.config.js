/** The end-to-end proof: real servers on loopback (see tests/e2e/README.md). One file, run in band. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  rootDir: "../..",
  roots: ["<rootDir>/tests/e2e"],
  testMatch: ["**/*.e2e.test.ts"],
  maxWorkers: 1,
  // Cold installs (MinIO built from source, Superset's virtualenv, Trino) happen in beforeAll.
  testTimeout: 15 * 60 * 1000,
};
