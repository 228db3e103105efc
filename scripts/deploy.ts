import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../components/versions";
import { kindClusterConfig } from "./kindCluster";
import { pulumiBin, pulumiEnv, stackArg, stackConfig, stateDir } from "./pulumiCli";

/**
 * `npm run up | preview | destroy [-- --stack NAME] [pulumi flags]`: the one command that deploys.
 * On kind it first creates the cluster if it is absent (with the UIs' node ports published on
 * 127.0.0.1), then runs the pinned Pulumi CLI against the local state backend.
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

if (!["up", "preview", "destroy"].includes(action)) fail(`unknown action '${action}' (up, preview or destroy)`);
let cfg;
try {
    cfg = stackConfig(stack);
} catch (e) {
    fail((e as Error).message);
}
const env = pulumiEnv();

if (cfg.target === "kind" && action !== "destroy") {
    if (run("docker", ["info"], env, true) !== 0) fail("Docker is not running; start it (kind and the image builds need it)");
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

if (run(pulumiBin, ["stack", "select", stack, "--create"], env) !== 0) fail(`could not select stack ${stack}`);
const args = action === "preview" ? ["preview", "--diff"] : [action, "--yes"];
process.exit(run(pulumiBin, [...args, "--stack", stack, ...rest], env));
