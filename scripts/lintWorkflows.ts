import { spawnSync, SpawnSyncOptions } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * `npx ts-node scripts/lintWorkflows.ts`: lints the GitHub Actions workflows in .github/workflows
 * with actionlint (which also runs shellcheck on every `run:` block and checks the local actions
 * they use, the `vars.*` names listed in .github/actionlint.yaml, expressions and action inputs).
 *
 * actionlint is built with `go install` at a pinned version into .cache/tools/ (once; later runs
 * reuse the binary); shellcheck is installed with apt-get when missing and we are root (or have
 * password-less sudo). Prints every finding, then one line `N passed, N failed` where each workflow
 * file is one test (passed = no findings). Exits non-zero on any finding or if the linter cannot run.
 */

const ACTIONLINT_VERSION = "v1.7.12";
const ACTIONLINT_MODULE = "github.com/rhysd/actionlint/cmd/actionlint";

const repoRoot = path.resolve(__dirname, "..");
const workflowsDir = path.join(repoRoot, ".github", "workflows");
const toolDir = path.join(repoRoot, ".cache", "tools", `actionlint-${ACTIONLINT_VERSION}`);
const actionlintBin = path.join(toolDir, process.platform === "win32" ? "actionlint.exe" : "actionlint");

interface Finding {
    message: string;
    filepath: string;
    line: number;
    column: number;
    kind: string;
    snippet?: string;
}

function fail(message: string): never {
    console.error(`lintWorkflows: ${message}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
}

function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
    return spawnSync(cmd, args, { encoding: "utf8", cwd: repoRoot, ...opts });
}

function actionlintVersion(): string | undefined {
    if (!fs.existsSync(actionlintBin)) return undefined;
    const r = sh(actionlintBin, ["-version"]);
    return r.status === 0 ? String(r.stdout).split("\n")[0].trim() : undefined;
}

function ensureActionlint(): void {
    if (actionlintVersion() === ACTIONLINT_VERSION) return;
    console.log(`lintWorkflows: installing actionlint ${ACTIONLINT_VERSION} into ${path.relative(repoRoot, toolDir)}`);
    fs.mkdirSync(toolDir, { recursive: true });
    const r = sh("go", ["install", `${ACTIONLINT_MODULE}@${ACTIONLINT_VERSION}`], {
        stdio: "inherit",
        env: { ...process.env, GOBIN: toolDir, GOFLAGS: "-buildvcs=false" },
    });
    if (r.error) fail(`go is not on PATH (${r.error.message}); actionlint is built with go install (Go >= 1.25)`);
    if (r.status !== 0) fail(`go install ${ACTIONLINT_MODULE}@${ACTIONLINT_VERSION} failed`);
    const got = actionlintVersion();
    if (got !== ACTIONLINT_VERSION) fail(`expected actionlint ${ACTIONLINT_VERSION} in ${toolDir}, found ${got ?? "nothing"}`);
}

function shellcheckPath(): string | undefined {
    const r = sh("sh", ["-c", "command -v shellcheck"]);
    return r.status === 0 ? String(r.stdout).trim() || undefined : undefined;
}

function ensureShellcheck(): string {
    const found = shellcheckPath();
    if (found) return found;
    const root = process.getuid?.() === 0;
    const sudo = !root && sh("sudo", ["-n", "true"]).status === 0;
    const hasApt = sh("sh", ["-c", "command -v apt-get"]).status === 0;
    if (!hasApt || (!root && !sudo)) {
        fail("shellcheck is not on PATH and cannot be installed here (needs apt-get as root); install shellcheck and re-run");
    }
    const apt = (args: string[]) => {
        const [cmd, argv] = root ? ["apt-get", args] : ["sudo", ["-n", "apt-get", ...args]];
        return sh(cmd, argv, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
    };
    console.log("lintWorkflows: installing shellcheck with apt-get");
    const install = ["install", "-y", "-q", "--no-install-recommends", "shellcheck"];
    if (!apt(install) && !(apt(["update", "-q"]) && apt(install))) fail("apt-get install shellcheck failed");
    return shellcheckPath() ?? fail("shellcheck is still not on PATH after apt-get install");
}

function main(): number {
    const workflows = fs.existsSync(workflowsDir)
        ? fs.readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(".github", "workflows", f))
        : [];
    if (workflows.length === 0) fail(`no workflow files in ${path.relative(repoRoot, workflowsDir)}`);

    ensureActionlint();
    const shellcheck = ensureShellcheck();

    // JSON out so findings can be counted per file; -pyflakes= : no Python run steps here.
    const r = sh(actionlintBin, ["-format", "{{json .}}", `-shellcheck=${shellcheck}`, "-pyflakes=", ...workflows]);
    // actionlint exits 0 (clean), 1 (findings), 2 (bad arguments) or 3 (fatal error).
    if (r.error || (r.status !== 0 && r.status !== 1)) {
        process.stderr.write(String(r.stderr ?? ""));
        fail(`actionlint could not run (exit ${r.status ?? r.error?.message})`);
    }
    let findings: Finding[];
    try {
        findings = (JSON.parse(String(r.stdout).trim() || "[]") as Finding[] | null) ?? [];
    } catch {
        process.stdout.write(String(r.stdout));
        process.stderr.write(String(r.stderr ?? ""));
        fail("could not parse actionlint's output");
    }
    if (r.status === 1 && findings.length === 0) {
        process.stderr.write(String(r.stderr ?? ""));
        fail("actionlint failed without reporting a finding");
    }

    const norm = (p: string) => path.relative(repoRoot, path.resolve(repoRoot, p));
    for (const f of findings) {
        console.log(`${norm(f.filepath)}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
        if (f.snippet) console.log(f.snippet.replace(/^/gm, "    "));
    }

    let passed = 0;
    let failed = 0;
    for (const wf of workflows) {
        const n = findings.filter((f) => norm(f.filepath) === wf).length;
        if (n === 0) passed++;
        else failed++;
        console.log(`${n === 0 ? "PASS" : "FAIL"}  ${wf}${n === 0 ? "" : ` (${n} finding${n === 1 ? "" : "s"})`}`);
    }
    // A finding outside the listed files (should not happen) still fails the run.
    const stray = findings.filter((f) => !workflows.includes(norm(f.filepath))).length;
    if (stray > 0) failed++;
    console.log(`actionlint ${ACTIONLINT_VERSION}, shellcheck ${shellcheck}`);
    console.log(`${passed} passed, ${failed} failed`);
    return failed > 0 ? 1 : 0;
}

process.exit(main());
