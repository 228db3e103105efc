import * as crypto from "crypto";
import { Kube, KubeError, KubeObject } from "./kube";

/**
 * SIMULATED: the visible part of the Flink Kubernetes Operator, for the deploy rehearsal only. The
 * operator's image cannot be run here, so this does what `pulumi up` and the program can see of it:
 * for each FlinkDeployment in the watched namespaces it creates the JobManager Deployment (owned by
 * the FlinkDeployment, with the labels the operator gives it, the job's image, service account, pod
 * template and JobManager resources), and once that Deployment's pod is Ready (kwok marks it so)
 * reports the job RUNNING in the FlinkDeployment's status. That is what the program's
 * `pulumi.com/waitFor` and its UI Service (which selects the JobManager pod) wait on. Nothing of
 * Flink runs; the pod specs still go through the API server's validation and admission.
 */

const fdApi = "flink.apache.org/v1beta1";

export interface OperatorStandIn {
    stop(): Promise<void>;
    /** Errors met while reconciling (the rehearsal fails on any). */
    errors: string[];
}

function jobManagerDeployment(fd: KubeObject): KubeObject {
    const name = fd.metadata.name;
    const selector = { app: name, component: "jobmanager", type: "flink-native-kubernetes" };
    const template = fd.spec.podTemplate ?? {};
    const main = (template.spec?.containers ?? []).find((c: { name: string }) => c.name === "flink-main-container") ?? {};
    const jm = fd.spec.jobManager?.resource ?? {};
    const memory = String(jm.memory ?? "1024m").replace(/m$/, "Mi").replace(/g$/, "Gi");
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
            name,
            namespace: fd.metadata.namespace,
            labels: selector,
            ownerReferences: [{ apiVersion: fdApi, kind: "FlinkDeployment", name, uid: fd.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: {
            replicas: fd.spec.jobManager?.replicas ?? 1,
            selector: { matchLabels: selector },
            template: {
                metadata: { labels: { ...(template.metadata?.labels ?? {}), ...selector } },
                spec: {
                    ...(template.spec ?? {}),
                    serviceAccountName: fd.spec.serviceAccount,
                    containers: [
                        {
                            ...main,
                            name: "flink-main-container",
                            image: fd.spec.image,
                            imagePullPolicy: fd.spec.imagePullPolicy,
                            args: ["jobmanager"],
                            resources: { requests: { cpu: String(jm.cpu ?? 1), memory }, limits: { cpu: String(jm.cpu ?? 1), memory } },
                            ports: [{ name: "rest", containerPort: 8081 }],
                        },
                    ],
                },
            },
        },
    };
}

export function startOperatorStandIn(kube: Kube, namespaces: string[], intervalMs = 1000): OperatorStandIn {
    const errors: string[] = [];
    let stopped = false;
    const reconcile = async (fd: KubeObject) => {
        if (fd.metadata.deletionTimestamp) return;
        const ns = fd.metadata.namespace as string;
        const name = fd.metadata.name;
        const dep = await kube.find("apps/v1", "deployments", name, ns);
        if (!dep) {
            await kube.create("apps/v1", "deployments", jobManagerDeployment(fd), ns);
            await kube.patch(fdApi, "flinkdeployments", name, { status: { lifecycleState: "DEPLOYED", jobManagerDeploymentStatus: "DEPLOYING", jobStatus: { state: "RECONCILING", jobName: name } } }, ns, "status");
            return;
        }
        const ready = (dep.status?.readyReplicas ?? 0) >= 1;
        if (ready && fd.status?.jobStatus?.state !== "RUNNING") {
            await kube.patch(
                fdApi,
                "flinkdeployments",
                name,
                {
                    status: {
                        lifecycleState: "STABLE",
                        jobManagerDeploymentStatus: "READY",
                        jobStatus: { state: "RUNNING", jobName: name, jobId: crypto.randomBytes(16).toString("hex"), startTime: String(Date.now()) },
                    },
                },
                ns,
                "status",
            );
        }
    };
    const loop = (async () => {
        while (!stopped) {
            for (const ns of namespaces) {
                try {
                    for (const fd of await kube.list(fdApi, "flinkdeployments", ns)) await reconcile(fd);
                } catch (e) {
                    // The namespace not there yet, or the API server still warming up a new CRD's
                    // storage (429), is normal and retried; anything else is a finding.
                    if (!(e instanceof KubeError && (e.status === 404 || e.status === 429))) errors.push((e as Error).message);
                }
            }
            await new Promise((r) => setTimeout(r, intervalMs));
        }
    })();
    return {
        errors,
        stop: async () => {
            stopped = true;
            await loop;
        },
    };
}
