import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { parseConfig } from "../components/config";
import { repoRoot } from "../components/versions";
import { kindClusterConfig } from "./kindCluster";

/**
 * `npm run up | preview | destroy [-- --stack NAME]`: the one command that deploys. It keeps Pulumi
 * state in a local `file://` backend (no Pulumi Cloud account), uses the Pulumi CLI pinned in
 * package.json, and on kind creates the cluster first if it is absent.
 */

const [action = "up", ...rest] = process.argv.slice(2);
const stackFlag = rest.indexOf("--stack");
const stack = stackFlag >= 0 ? rest[stackFlag + 1] : process.env.PULUMI_STACK ?? "dev";
const extra = rest.filter((_, i) => i !== stackFlag && i !== stackFlag + 1);

function fail(message: string): never {
    console.error(`deploy: ${message}`);
    process.exit(1);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, quiet = false): number {
    const r = spawnSync(cmd, args, { stdio: quiet ? "ignore" : "inherit", env, cwd: repoRoot });
    if (r.error) fail(`${cmd} could not be run (${r.error.message}); is it installed and on PATH?`);
    return r.status ?? 1;
}

function capture(cmd: string, args: string[]): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", cwd: repoRoot });
    if (r.error || r.status !== 0) fail(`${cmd} ${args.join(" ")} failed: ${r.error?.message ?? r.stderr}`);
    return r.stdout;
}

if (!["up", "preview", "destroy"].includes(action)) fail(`unknown action '${action}' (up, preview or destroy)`);

const stackFile = path.join(repoRoot, `Pulumi.${stack}.yaml`);
if (!fs.existsSync(stackFile)) fail(`no stack file ${path.basename(stackFile)}`);
const raw: Record<string, string> = {};
for (const [k, v] of Object.entries((YAML.parse(fs.readFileSync(stackFile, "utf8"))?.config ?? {}) as Record<string, unknown>)) {
    raw[k] = typeof v === "string" ? v : JSON.stringify(v);
}
const cfg = parseConfig(raw);

// Local state and a generated passphrase (kept beside it, never committed) protect the stack's secrets.
const stateDir = path.join(repoRoot, ".pulumi-state");
fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" };
env.PULUMI_BACKEND_URL ??= `file://${stateDir}`;
if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    const passFile = path.join(stateDir, "passphrase");
    if (!fs.existsSync(passFile)) fs.writeFileSync(passFile, crypto.randomBytes(24).toString("base64url"), { mode: 0o600 });
    env.PULUMI_CONFIG_PASSPHRASE_FILE = passFile;
}
const pulumi = path.join(repoRoot, "node_modules", ".bin", "pulumi");

if (cfg.target === "kind" && action !== "destroy") {
    if (run("docker", ["info"], env, true) !== 0) fail("Docker is not running; start it (kind and the image builds need it)");
    const clusters = capture("kind", ["get", "clusters"]).split(/\s+/);
    if (!clusters.includes(cfg.kindClusterName)) {
        const kindConfig = path.join(stateDir, `kind-${cfg.kindClusterName}.yaml`);
        fs.writeFileSync(kindConfig, kindClusterConfig(cfg));
        console.log(`deploy: creating kind cluster ${cfg.kindClusterName}`);
        if (run("kind", ["create", "cluster", "--name", cfg.kindClusterName, "--config", kindConfig, "--wait", "120s"], env) !== 0) {
            fail("kind create cluster failed");
        }
    }
}

if (run(pulumi, ["stack", "select", stack, "--create"], env) !== 0) fail(`could not select stack ${stack}`);
const args = action === "preview" ? ["preview", "--diff"] : [action, "--yes"];
process.exit(run(pulumi, [...args, "--stack", stack, ...extra], env));
