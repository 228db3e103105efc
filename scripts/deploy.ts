import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../components/versions";
import { failureHints } from "./deployHints";
import { kindClusterConfig } from "./kindCluster";
import { kubeContexts, pulumiBin, pulumiEnv, stackArg, stackConfig, stateDir } from "./pulumiCli";

/**
 * `npm run up | preview | refresh | destroy [-- --stack NAME] [pulumi flags]`:
 * the one command that deploys. On kind it creates the cluster when its context is absent (with the
 * UIs' node ports published on 127.0.0.1); a context that exists is used as it is, whatever runs it.
 * Docker is needed only when images have to be built (no release pin). Then it runs the Pulumi CLI
 * at the SDK's version against the local state backend.
 */

const [action = "up", ...argv] = process.argv.slice(2);
const { stack, rest } = stackArg(argv);

function fail(message: string): never {
    console.error(`deploy: ${message}`);
    process.exit(1);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, quiet = false): number {
    const r = spawnSync(cmd, args, { stdio: quiet ? "ignore" : "inherit", env, cwd: repoRoot });
    if (r.error) fail(`${cmd} could not be run (${r.error.message}); is it installed and on PATH?`);
    return r.status ?? 1;
}

if (!["up", "preview", "refresh", "destroy"].includes(action)) fail(`unknown action '${action}' (up, preview, refresh or destroy)`);
let cfg;
try {
    cfg = stackConfig(stack);
} catch (e) {
    fail((e as Error).message);
}
const env = pulumiEnv();
const builds = !cfg.release && (action === "up" || action === "preview");

if (builds && run("docker", ["info"], env, true) !== 0) {
    fail("Docker is not running; start it (the image builds need it), or deploy a release pin (lakehouse:release)");
}
if (cfg.target === "kind" && (action === "up" || action === "preview")) {
    const context = cfg.kubeContext as string;
    if (kubeContexts(env).includes(context)) {
        console.log(`deploy: using the existing kubeconfig context ${context}`);
    } else {
        if (run("docker", ["info"], env, true) !== 0) fail(`no kubeconfig context ${context}, and Docker is not running to create a kind cluster`);
        const clusters = spawnSync("kind", ["get", "clusters"], { encoding: "utf8" });
        if (clusters.error) fail("kind is not installed or not on PATH (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)");
        if (!clusters.stdout.split(/\s+/).includes(cfg.kindClusterName)) {
            const kindConfig = path.join(stateDir, `kind-${cfg.kindClusterName}.yaml`);
            fs.mkdirSync(stateDir, { recursive: true });
            fs.writeFileSync(kindConfig, kindClusterConfig(cfg));
            console.log(`deploy: creating kind cluster ${cfg.kindClusterName}`);
            if (run("kind", ["create", "cluster", "--name", cfg.kindClusterName, "--config", kindConfig, "--wait", "120s"], env) !== 0) {
                fail("kind create cluster failed");
            }
        }
    }
}

if (run(pulumiBin, ["stack", "select", stack, "--create"], env) !== 0) fail(`could not select stack ${stack}`);
const args = action === "preview" ? ["preview", "--diff"] : [action, "--yes"];
const status = run(pulumiBin, [...args, "--stack", stack, ...rest], env);
if (status !== 0 && action === "up") {
    const exported = spawnSync(pulumiBin, ["stack", "export", "--stack", stack], { env, cwd: repoRoot, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    try {
        for (const hint of failureHints(JSON.parse(exported.stdout).deployment.resources ?? [], cfg)) console.error(`\ndeploy: ${hint}`);
    } catch {
        // No state to read: pulumi's own message is all there is.
    }
}
process.exit(status);
