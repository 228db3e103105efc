/** The fault campaign (README, "Reliability"): one file, in band, cases in order on one harness. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  rootDir: "../..",
  roots: ["<rootDir>/tests/faults"],
  testMatch: ["**/*.faults.test.ts"],
  maxWorkers: 1,
  testTimeout: 15 * 60 * 1000,
};
