import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toolchain } from "./toolchainVersions";

/**
 * Builds the deploy rehearsal's binaries from the Go module proxy: a real control plane
 * (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok) and the real Pulumi engine
 * (CLI, kubernetes provider, Node.js language host). Each lands in the cache outside the clone
 * (`$LAKEHOUSE_REHEARSAL_CACHE`, default `~/.cache/lakehouse-rehearsal`) under a stamp of its pins,
 * so a warm run only checks stamps. Two chains build side by side; each step prints what it does,
 * and a heartbeat every 30 s while the compiler runs.
 *
 *   npx ts-node tests/deploy/toolchain.ts      # build what is missing, print the paths
 */

export const cacheRoot = process.env.LAKEHOUSE_REHEARSAL_CACHE ?? path.join(os.homedir(), ".cache", "lakehouse-rehearsal");
const binDir = path.join(cacheRoot, "bin");
const workDir = path.join(cacheRoot, "work");
const logDir = path.join(cacheRoot, "logs");

export interface Toolchain {
    binDir: string;
    kubeApiserver: string;
    kubeControllerManager: string;
    kubeScheduler: string;
    etcd: string;
    kwok: string;
    /** kwok's own Stage manifests, from its module zip (`kustomize/stage`). */
    kwokStages: string;
    pulumi: string;
    kubernetesProvider: string;
    nodejsLanguageHost: string;
}

const log = (msg: string) => process.stderr.write(`[toolchain] ${msg}\n`);

function goEnv(): NodeJS.ProcessEnv {
    // -buildvcs=false: the wrapper modules live outside any repository.
    return { ...process.env, GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0" };
}

/** Runs a command, output to a log file; rejects with the log's tail. */
function run(cmd: string, args: string[], cwd: string, logFile: string, env = goEnv()): Promise<void> {
    return new Promise((resolve, reject) => {
        fs.appendFileSync(logFile, `\n$ ${cmd} ${args.join(" ")}   (in ${cwd})\n`);
        const fd = fs.openSync(logFile, "a");
        const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", fd, fd] });
        fs.closeSync(fd);
        child.once("error", reject);
        child.once("exit", (code) => {
            if (code === 0) return resolve();
            const tail = fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
            reject(new Error(`${cmd} ${args.join(" ")} exited ${code} (log: ${logFile})\n${tail}`));
        });
    });
}

function goModCacheDir(): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("go", ["env", "GOMODCACHE"], { env: goEnv() });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.once("error", reject);
        child.once("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error("go env GOMODCACHE failed"))));
    });
}

/** Module zips unpack read-only; a module built as a main module is copied out first. */
async function moduleDir(mod: string, version: string, logFile: string): Promise<string> {
    await run("go", ["mod", "download", `${mod}@${version}`], os.tmpdir(), logFile);
    const escaped = mod.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
    return path.join(await goModCacheDir(), `${escaped}@${version}`);
}

interface Step {
    /** What it builds, for the progress lines. */
    name: string;
    /** The binaries it leaves in binDir. */
    outputs: string[];
    /** Everything that decides the outputs; a change rebuilds. */
    pins: unknown;
    build(logFile: string): Promise<void>;
}

/** The Go toolchain that compiles everything: a new Go rebuilds, as a new pin does. */
const goVersion = (): string => execFileSync("go", ["env", "GOVERSION"], { env: goEnv(), encoding: "utf8" }).trim();

const stampOf = (step: Step, go: string) => crypto.createHash("sha256").update(JSON.stringify({ pins: step.pins, go })).digest("hex").slice(0, 16);

/** A wrapper module: requires, replaces, a tools file importing the mains so `go mod tidy` records their deps. */
async function buildWrapper(o: {
    dir: string;
    requires: Record<string, string>;
    replaces?: string[];
    mains: string[];
    mainSource?: string;
    ldflags?: string;
    logFile: string;
}): Promise<void> {
    fs.rmSync(o.dir, { recursive: true, force: true });
    fs.mkdirSync(o.dir, { recursive: true });
    const requires = Object.entries(o.requires).map(([m, v]) => `\t${m} ${v}`).join("\n");
    const replaces = (o.replaces ?? []).map((r) => `\t${r}`).join("\n");
    fs.writeFileSync(
        path.join(o.dir, "go.mod"),
        `module lakehouse.rehearsal/${path.basename(o.dir)}\n\ngo 1.25\n\nrequire (\n${requires}\n)\n` + (replaces ? `\nreplace (\n${replaces}\n)\n` : ""),
    );
    if (o.mainSource) {
        fs.writeFileSync(path.join(o.dir, "main.go"), o.mainSource);
    } else {
        const imports = o.mains.map((m) => `\t_ "${m}"\n`).join("");
        fs.writeFileSync(path.join(o.dir, "tools.go"), `//go:build tools\n\npackage tools\n\nimport (\n${imports})\n`);
    }
    await run("go", ["mod", "tidy"], o.dir, o.logFile);
    const targets = o.mainSource ? ["."] : o.mains;
    const out = targets.length > 1 ? binDir + path.sep : path.join(binDir, path.basename(o.dir));
    await run("go", ["build", "-trimpath", "-ldflags", `-s -w ${o.ldflags ?? ""}`.trim(), "-o", out, ...targets], o.dir, o.logFile);
}

const k8sStaging = [
    "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go", "cloud-provider",
    "cluster-bootstrap", "code-generator", "component-base", "component-helpers", "controller-manager", "cri-api",
    "cri-client", "csi-translation-lib", "dynamic-resource-allocation", "endpointslice", "externaljwt", "kms",
    "kube-aggregator", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl", "kubelet", "metrics",
    "mount-utils", "pod-security-admission", "sample-apiserver", "sample-cli-plugin", "sample-controller",
];

const controlPlane: Step = {
    name: `kube-apiserver, kube-controller-manager, kube-scheduler ${toolchain.kubernetes}`,
    outputs: ["kube-apiserver", "kube-controller-manager", "kube-scheduler"],
    pins: { k: toolchain.kubernetes, staging: k8sStaging },
    build: async (logFile) => {
        const v = toolchain.kubernetes;
        const staging = `v0.${v.split(".").slice(1).join(".")}`;
        const [major, minor] = v.slice(1).split(".");
        // Upstream's go.mod points the k8s.io/* staging modules at ./staging; a dependent module
        // restates those replaces as the staging modules' own releases of the same version.
        await buildWrapper({
            dir: path.join(workDir, "kubernetes"),
            requires: { "k8s.io/kubernetes": v },
            replaces: k8sStaging.map((m) => `k8s.io/${m} => k8s.io/${m} ${staging}`),
            mains: ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map((c) => `k8s.io/kubernetes/cmd/${c}`),
            ldflags: ["gitVersion=" + v, "gitMajor=" + major, "gitMinor=" + minor, "gitTreeState=clean"]
                .map((kv) => `-X k8s.io/component-base/version.${kv}`)
                .join(" "),
            logFile,
        });
    },
};

const etcd: Step = {
    name: `etcd ${toolchain.etcd}`,
    outputs: ["etcd"],
    pins: toolchain.etcd,
    build: async (logFile) => {
        const v = toolchain.etcd;
        await buildWrapper({
            dir: path.join(workDir, "etcd"),
            requires: Object.fromEntries(
                ["server/v3", "api/v3", "client/pkg/v3", "client/v3", "pkg/v3"].map((m) => [`go.etcd.io/etcd/${m}`, v]),
            ),
            mains: [],
            mainSource: `package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n`,
            logFile,
        });
    },
};

const kwok: Step = {
    name: `kwok ${toolchain.kwok}`,
    outputs: ["kwok"],
    pins: toolchain.kwok,
    build: async (logFile) => {
        await run("go", ["install", `sigs.k8s.io/kwok/cmd/kwok@${toolchain.kwok}`], os.tmpdir(), logFile, { ...goEnv(), GOBIN: binDir });
    },
};

const pulumiCli: Step = {
    name: `pulumi CLI v${toolchain.pulumi}`,
    outputs: ["pulumi"],
    pins: { v: toolchain.pulumi, clip: toolchain.clipboardFork },
    build: async (logFile) => {
        const v = `v${toolchain.pulumi}`;
        await buildWrapper({
            dir: path.join(workDir, "pulumi"),
            requires: { "github.com/pulumi/pulumi/pkg/v3": v, "github.com/pulumi/pulumi/sdk/v3": v },
            replaces: [`github.com/atotto/clipboard => ${toolchain.clipboardFork}`],
            mains: ["github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"],
            ldflags: `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${v}`,
            logFile,
        });
    },
};

const languageHost: Step = {
    name: `pulumi-language-nodejs (sdk ${toolchain.nodejsLanguageHost})`,
    outputs: ["pulumi-language-nodejs"],
    pins: toolchain.nodejsLanguageHost,
    build: async (logFile) => {
        const v = toolchain.nodejsLanguageHost;
        const dir = path.join(workDir, "pulumi-language-nodejs");
        // The sdk module of that release replaces golang.org/x/text; restated here.
        const upstream = fs.readFileSync(path.join(await moduleDir("github.com/pulumi/pulumi/sdk/v3", v, logFile), "go.mod"), "utf8");
        const replaces = [...upstream.matchAll(/^replace\s+(\S+\s+=>\s+\S+\s+\S+)\s*$/gm)].map((m) => m[1]);
        await buildWrapper({
            dir,
            requires: { "github.com/pulumi/pulumi/sdk/v3": v },
            replaces,
            mains: ["github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"],
            ldflags: `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${v}`,
            logFile,
        });
    },
};

const kubernetesProvider: Step = {
    name: `pulumi-resource-kubernetes ${toolchain.kubernetesProviderVersion} (provider/v4 ${toolchain.kubernetesProviderModule})`,
    outputs: ["pulumi-resource-kubernetes"],
    pins: [toolchain.kubernetesProviderModule, toolchain.kubernetesProviderSdk, toolchain.kubernetesProviderVersion],
    build: async (logFile) => {
        const mod = "github.com/pulumi/pulumi-kubernetes/provider/v4";
        const src = await moduleDir(mod, toolchain.kubernetesProviderModule, logFile);
        const dir = path.join(workDir, "pulumi-kubernetes-provider");
        fs.rmSync(dir, { recursive: true, force: true });
        fs.cpSync(src, dir, { recursive: true });
        for (const f of walk(dir)) fs.chmodSync(f, fs.statSync(f).isDirectory() ? 0o755 : 0o644);
        const goMod = path.join(dir, "go.mod");
        fs.writeFileSync(goMod, fs.readFileSync(goMod, "utf8").replace(/^replace\s+github\.com\/pulumi\/pulumi-kubernetes\/sdk\/v4\s+=>\s+\.\.\/sdk\s*$/m, ""));
        // The module zip lacks the //go:embed inputs that upstream's Makefile generates: minified
        // copies of schema.json and terraform-mapping.json, the schema stamped with the version.
        const cmdDir = path.join(dir, "cmd", "pulumi-resource-kubernetes");
        const schema = JSON.parse(fs.readFileSync(path.join(cmdDir, "schema.json"), "utf8"));
        schema.version = toolchain.kubernetesProviderVersion;
        fs.writeFileSync(path.join(cmdDir, "schema-embed.json"), JSON.stringify(schema));
        fs.writeFileSync(
            path.join(cmdDir, "terraform-mapping-embed.json"),
            JSON.stringify(JSON.parse(fs.readFileSync(path.join(cmdDir, "terraform-mapping.json"), "utf8"))),
        );
        await run("go", ["get", `github.com/pulumi/pulumi-kubernetes/sdk/v4@${toolchain.kubernetesProviderSdk}`], dir, logFile);
        await run(
            "go",
            [
                "build", "-mod=mod", "-trimpath",
                "-ldflags", `-s -w -X ${mod}/pkg/version.Version=${toolchain.kubernetesProviderVersion}`,
                "-o", path.join(binDir, "pulumi-resource-kubernetes"),
                "./cmd/pulumi-resource-kubernetes",
            ],
            dir,
            logFile,
        );
    },
};

function* walk(dir: string): Generator<string> {
    yield dir;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) yield* walk(p);
        else yield p;
    }
}

async function runStep(step: Step, n: string): Promise<boolean> {
    const stampFile = path.join(binDir, `.${step.outputs[0]}.stamp`);
    const stamp = stampOf(step, goVersion());
    const present = step.outputs.every((o) => fs.existsSync(path.join(binDir, o)));
    if (present && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp) {
        log(`${n} ${step.name}: cached`);
        return true;
    }
    const logFile = path.join(logDir, `${step.outputs[0]}.log`);
    fs.writeFileSync(logFile, "");
    const started = Date.now();
    log(`${n} ${step.name}: building (log ${logFile})`);
    const heartbeat = setInterval(() => log(`${n} ${step.name}: still building, ${Math.round((Date.now() - started) / 1000)} s`), 30_000);
    try {
        await step.build(logFile);
    } finally {
        clearInterval(heartbeat);
    }
    fs.writeFileSync(stampFile, stamp);
    log(`${n} ${step.name}: built in ${Math.round((Date.now() - started) / 1000)} s`);
    return false;
}

/** Builds whatever is missing (two chains in parallel) and returns the binaries' paths. */
export async function ensureToolchain(): Promise<Toolchain & { cached: boolean; elapsedMs: number }> {
    for (const d of [binDir, workDir, logDir]) fs.mkdirSync(d, { recursive: true });
    const started = Date.now();
    const steps = [controlPlane, etcd, kwok, pulumiCli, kubernetesProvider, languageHost];
    const label = (s: Step) => `(${steps.indexOf(s) + 1}/${steps.length})`;
    // The two heaviest builds lead their chains so they overlap; the compiler uses both cores either way.
    const chain = async (list: Step[]) => {
        let cached = true;
        for (const s of list) cached = (await runStep(s, label(s))) && cached;
        return cached;
    };
    const results = await Promise.all([chain([controlPlane, etcd, kwok]), chain([pulumiCli, kubernetesProvider, languageHost])]);
    const kwokSrc = await moduleDir("sigs.k8s.io/kwok", toolchain.kwok, path.join(logDir, "kwok-stages.log"));
    const bin = (n: string) => path.join(binDir, n);
    return {
        binDir,
        kubeApiserver: bin("kube-apiserver"),
        kubeControllerManager: bin("kube-controller-manager"),
        kubeScheduler: bin("kube-scheduler"),
        etcd: bin("etcd"),
        kwok: bin("kwok"),
        kwokStages: path.join(kwokSrc, "kustomize", "stage"),
        pulumi: bin("pulumi"),
        kubernetesProvider: bin("pulumi-resource-kubernetes"),
        nodejsLanguageHost: bin("pulumi-language-nodejs"),
        cached: results.every(Boolean),
        elapsedMs: Date.now() - started,
    };
}

if (require.main === module) {
    ensureToolchain().then(
        (t) => {
            log(`${t.cached ? "all cached" : "built"} in ${Math.round(t.elapsedMs / 1000)} s; binaries in ${t.binDir}`);
        },
        (e) => {
            log(`failed: ${(e as Error).message}`);
            process.exit(1);
        },
    );
}
