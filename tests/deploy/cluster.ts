import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { freePorts } from "../e2e/harness/paths";
import { Proc, run, start, waitFor } from "../e2e/harness/proc";
import { Kube } from "./kube";
import { Toolchain } from "./toolchain";

/**
 * A real Kubernetes control plane on 127.0.0.1, from the binaries `toolchain.ts` builds: etcd,
 * kube-apiserver (RBAC, the default admission chain including PodSecurity, a static admin token),
 * kube-controller-manager (Deployments, StatefulSets, Jobs, CronJobs, EndpointSlices, namespace
 * deletion, garbage collection) and kube-scheduler. kwok plays the one node: it marks scheduled pods
 * Running and Ready (Completed for Jobs' pods), and its volume stages provision and bind PVCs of the
 * `kwok-volume` StorageClass, the cluster's default. Nothing runs a container.
 */

export interface Cluster {
    kube: Kube;
    /** A kubeconfig file with one context, `contextName`, holding the admin token. */
    kubeconfig: string;
    contextName: string;
    server: string;
    dir: string;
    /** (Re)starts kwok with the given extra Stage documents besides the node, pod and volume ones. */
    restartKwok(extraStages?: unknown[]): Promise<void>;
    stop(): Promise<void>;
}

const nodeName = "kwok-node-0";

function stageDocs(stagesDir: string, kustomizeDir: string): unknown[] {
    const dir = path.join(stagesDir, kustomizeDir);
    const k = YAML.parse(fs.readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as { resources: string[] };
    return k.resources.flatMap((r) => {
        const p = path.join(dir, r);
        if (fs.statSync(p).isDirectory()) return [];
        return YAML.parseAllDocuments(fs.readFileSync(p, "utf8")).map((d) => d.toJSON());
    });
}

async function certificates(dir: string): Promise<void> {
    const openssl = (args: string[]) => run("openssl", args, { cwd: dir });
    await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rehearsal-ca", "-keyout", "ca.key", "-out", "ca.crt"]);
    fs.writeFileSync(
        path.join(dir, "san.cnf"),
        "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n",
    );
    await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver", "-keyout", "apiserver.key", "-out", "apiserver.csr"]);
    await openssl(["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "apiserver.crt"]);
    // The key pair that signs and checks service account tokens.
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
}

export async function startCluster(tools: Toolchain, dir: string, contextName = "lakehouse-rehearsal"): Promise<Cluster> {
    const logDir = path.join(dir, "logs");
    fs.mkdirSync(logDir, { recursive: true });
    const procs: Proc[] = [];
    const [etcdPort, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await freePorts(6);
    await certificates(dir);
    const token = crypto.randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},rehearsal-admin,rehearsal-admin,system:masters\n`, { mode: 0o600 });
    const server = `https://127.0.0.1:${apiPort}`;
    const ca = fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(
        kubeconfig,
        YAML.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: contextName, cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") } }],
            users: [{ name: "rehearsal-admin", user: { token } }],
            contexts: [{ name: contextName, context: { cluster: contextName, user: "rehearsal-admin" } }],
            "current-context": contextName,
        }),
        { mode: 0o600 },
    );
    const kube = new Kube(server, token, ca);

    procs.push(
        start({
            name: "etcd",
            cmd: tools.etcd,
            args: [
                "--name=rehearsal",
                `--data-dir=${path.join(dir, "etcd")}`,
                `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
                `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
                `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
                `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
                `--initial-cluster=rehearsal=http://127.0.0.1:${etcdPeer}`,
                // A throwaway cluster: no fsync, so a 2-core machine spends its time on the deploy.
                "--unsafe-no-fsync",
            ],
            logDir,
        }),
    );
    const apiserver = start({
        name: "kube-apiserver",
        cmd: tools.kubeApiserver,
        args: [
            `--etcd-servers=http://127.0.0.1:${etcdPort}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${apiPort}`,
            `--tls-cert-file=${path.join(dir, "apiserver.crt")}`,
            `--tls-private-key-file=${path.join(dir, "apiserver.key")}`,
            `--client-ca-file=${path.join(dir, "ca.crt")}`,
            `--token-auth-file=${path.join(dir, "tokens.csv")}`,
            "--authorization-mode=Node,RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            `--service-account-key-file=${path.join(dir, "sa.pub")}`,
            `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
            "--service-cluster-ip-range=10.96.0.0/16",
            "--service-node-port-range=30000-32767",
            `--cert-dir=${path.join(dir, "apiserver-certs")}`,
        ],
        logDir,
    });
    procs.push(apiserver);
    await waitFor(
        async () => (await kube.request<string>("GET", "/readyz").catch(() => undefined)) !== undefined || undefined,
        120_000,
        "the API server's /readyz",
        { proc: apiserver, intervalMs: 500 },
    );

    // Both talk to the API server as the admin, alone (no leader election), serving on loopback.
    const controllerFlags = (port: number) => [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${port}`,
    ];
    procs.push(
        start({
            name: "kube-controller-manager",
            cmd: tools.kubeControllerManager,
            args: [
                ...controllerFlags(kcmPort),
                `--service-account-private-key-file=${path.join(dir, "sa.key")}`,
                `--root-ca-file=${path.join(dir, "ca.crt")}`,
                "--use-service-account-credentials=true",
                "--service-cluster-ip-range=10.96.0.0/16",
                `--cert-dir=${path.join(dir, "kcm-certs")}`,
            ],
            logDir,
        }),
    );
    procs.push(
        start({
            name: "kube-scheduler",
            cmd: tools.kubeScheduler,
            args: [
                ...controllerFlags(schedPort),
                `--cert-dir=${path.join(dir, "scheduler-certs")}`,
            ],
            logDir,
        }),
    );

    // The node kwok plays: room for every pod of the biggest stack.
    await kube.create("v1", "nodes", {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: nodeName, labels: { "kubernetes.io/hostname": nodeName, "kubernetes.io/os": "linux", type: "kwok" }, annotations: { "kwok.x-k8s.io/node": "fake" } },
        spec: {},
        status: { allocatable: { cpu: "64", memory: "256Gi", pods: "250" }, capacity: { cpu: "64", memory: "256Gi", pods: "250" } },
    });
    // kwok's volume stages provision PVs for this class; it is the default, as a kind cluster's is.
    for (const sc of stageDocs(tools.kwokStages, "volume/fast").filter((d) => (d as { kind: string }).kind === "StorageClass")) {
        await kube.create("storage.k8s.io/v1", "storageclasses", sc);
    }

    let kwok: Proc | undefined;
    const kwokConfig = path.join(dir, "kwok.yaml");
    const restartKwok = async (extraStages: unknown[] = []) => {
        if (kwok) {
            await kwok.stop();
            procs.splice(procs.indexOf(kwok), 1);
        }
        const options = {
            apiVersion: "config.kwok.x-k8s.io/v1alpha1",
            kind: "KwokConfiguration",
            options: {
                manageAllNodes: false,
                manageNodesWithAnnotationSelector: "kwok.x-k8s.io/node=fake",
                // Without a pod CIDR every pod gets the node's IP; a loopback IP there makes every
                // EndpointSlice invalid and Pulumi's await on a Service waits for ever.
                cidr: "10.244.0.1/16",
                nodeIP: "10.243.0.1",
                serverAddress: `127.0.0.1:${kwokPort}`,
                nodeLeaseDurationSeconds: 40,
                nodeLeaseParallelism: 2,
                nodePlayStageParallelism: 2,
                podPlayStageParallelism: 4,
                podsOnNodeSyncParallelism: 2,
            },
        };
        const stages = [
            ...stageDocs(tools.kwokStages, "node/fast"),
            ...stageDocs(tools.kwokStages, "node/heartbeat-with-lease"),
            ...stageDocs(tools.kwokStages, "pod/fast"),
            ...stageDocs(tools.kwokStages, "volume/fast").filter((d) => (d as { kind: string }).kind === "Stage"),
            ...extraStages,
        ];
        fs.writeFileSync(kwokConfig, [options, ...stages].map((d) => YAML.stringify(d)).join("---\n"));
        kwok = start({ name: "kwok", cmd: tools.kwok, args: [`--kubeconfig=${kubeconfig}`, `--config=${kwokConfig}`], logDir });
        procs.push(kwok);
        const k = kwok;
        await waitFor(
            async () => {
                const node = await kube.get("v1", "nodes", nodeName);
                return (node.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
            },
            60_000,
            `node ${nodeName} Ready (kwok)`,
            { proc: k, intervalMs: 500 },
        );
    };
    await restartKwok();

    // The namespace controller, the service account controller and friends are up when `default` has its account.
    await waitFor(() => kube.find("v1", "serviceaccounts", "default", "default"), 60_000, "the default service account", { intervalMs: 500 });

    return {
        kube,
        kubeconfig,
        contextName,
        server,
        dir,
        restartKwok,
        stop: async () => {
            for (const p of [...procs].reverse()) await p.stop(10_000);
        },
    };
}
