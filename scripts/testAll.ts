import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../components/versions";

/**
 * `npm run test:all`: every suite (unit tests with Pulumi mocks, the SQL runner's Maven tests, the
 * workflow lint, the end-to-end pipeline proof, the fault campaign and the deploy rehearsal), each counted from its own machine-readable report, then one line
 * `N passed, N failed` for all of them. Exits non-zero if any test failed or a suite could not run.
 */

interface Tally {
    suite: string;
    passed: number;
    failed: number;
    skipped: number;
    ran: boolean;
}

const only = process.argv.slice(2);
const tallies: Tally[] = [];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
    console.log(`\n== ${cmd} ${args.join(" ")}`);
    const r = spawnSync(cmd, args, { stdio: "inherit", cwd: repoRoot, env });
    return r.status ?? 1;
}

function jestSuite(suite: string, config: string): void {
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "jest-")), "report.json");
    const status = run(path.join(repoRoot, "node_modules", ".bin", "jest"), ["--ci", "--config", config, "--json", "--outputFile", report]);
    if (!fs.existsSync(report)) {
        tallies.push({ suite, passed: 0, failed: 1, skipped: 0, ran: false });
        return;
    }
    const r = JSON.parse(fs.readFileSync(report, "utf8"));
    // A suite that failed to load counts as a failure even though it ran no test.
    const broken = (r.testResults ?? []).filter((t: any) => t.status === "failed" && (t.assertionResults ?? []).length === 0).length;
    tallies.push({ suite, passed: r.numPassedTests, failed: r.numFailedTests + broken + (status !== 0 && r.numFailedTests + broken === 0 ? 1 : 0), skipped: r.numPendingTests + r.numTodoTests, ran: true });
}

function mavenSuite(suite: string, pom: string): void {
    const reports = path.join(path.dirname(pom), "target", "surefire-reports");
    fs.rmSync(reports, { recursive: true, force: true });
    const status = run("mvn", ["-B", "-q", "-f", pom, "package"]);
    let passed = 0, failed = 0, skipped = 0;
    if (fs.existsSync(reports)) {
        for (const f of fs.readdirSync(reports).filter((f) => /^TEST-.*\.xml$/.test(f))) {
            const head = fs.readFileSync(path.join(reports, f), "utf8").match(/<testsuite\b[^>]*>/)?.[0] ?? "";
            const attr = (n: string) => Number(head.match(new RegExp(`\\b${n}="(\\d+)"`))?.[1] ?? 0);
            failed += attr("failures") + attr("errors");
            skipped += attr("skipped");
            passed += attr("tests") - attr("failures") - attr("errors") - attr("skipped");
        }
    }
    if (status !== 0 && failed === 0) failed = 1; // the build itself failed
    tallies.push({ suite, passed, failed, skipped, ran: passed + failed > 0 });
}

/** A command that ends with its own `N passed, N failed` line (the workflow lint). */
function summaryLineSuite(suite: string, cmd: string, args: string[]): void {
    console.log(`\n== ${cmd} ${args.join(" ")}`);
    const r = spawnSync(cmd, args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    process.stdout.write(r.stdout ?? "");
    const m = [...(r.stdout ?? "").matchAll(/^(\d+) passed, (\d+) failed$/gm)].pop();
    const passed = m ? Number(m[1]) : 0;
    const failed = (m ? Number(m[2]) : 0) || (r.status !== 0 ? 1 : 0);
    tallies.push({ suite, passed, failed, skipped: 0, ran: m !== undefined });
}

const suites: Record<string, () => void> = {
    unit: () => jestSuite("unit (Pulumi mocks, config, schemas)", "jest.config.js"),
    runner: () => mavenSuite("SQL runner (Maven)", "flink-sql/runner/pom.xml"),
    workflows: () => summaryLineSuite("workflows (actionlint)", path.join(repoRoot, "node_modules", ".bin", "ts-node"), ["scripts/lintWorkflows.ts"]),
    e2e: () => jestSuite("end-to-end pipeline", "tests/e2e/jest.config.js"),
    faults: () => jestSuite("fault campaign", "tests/faults/jest.config.js"),
    deploy: () => jestSuite("deploy rehearsal (Pulumi engine on a real API server)", "tests/deploy/jest.config.js"),
};

for (const [name, suite] of Object.entries(suites)) {
    if (only.length === 0 || only.includes(name)) suite();
}

console.log("\n== summary");
for (const t of tallies) {
    console.log(`${t.suite}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${t.ran ? "" : " (suite did not run)"}`);
}
const passed = tallies.reduce((n, t) => n + t.passed, 0);
const failed = tallies.reduce((n, t) => n + t.failed, 0);
const skipped = tallies.reduce((n, t) => n + t.skipped, 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || tallies.some((t) => !t.ran) ? 1 : 0);
