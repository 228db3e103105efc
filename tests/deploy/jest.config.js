/** The deploy rehearsal (tests/deploy/README.md): one file, in band, tests in order. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  rootDir: "../..",
  roots: ["<rootDir>/tests/deploy"],
  testMatch: ["**/*.deploy.test.ts"],
  maxWorkers: 1,
  // A cold toolchain build happens in beforeAll (its own timeout); each step below is minutes at most.
  testTimeout: 15 * 60 * 1000,
};
