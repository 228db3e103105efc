import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ResourceSpec, ServiceType } from "./config";

/** Recommended Kubernetes labels; `selector` is the stable subset used in selectors. */
export function labels(app: string, component: string): { all: Record<string, string>; selector: Record<string, string> } {
    const selector = { "app.kubernetes.io/name": app, "app.kubernetes.io/instance": component };
    return { selector, all: { ...selector, "app.kubernetes.io/part-of": "streaming-lakehouse", "app.kubernetes.io/managed-by": "pulumi" } };
}

export function resources(spec: ResourceSpec): k8s.types.input.core.v1.ResourceRequirements {
    return { requests: { ...spec.requests }, limits: { ...spec.limits } };
}

/** Pod-level security for images that run as a fixed non-root user. */
export function podSecurity(uid: number, gid: number = uid): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        fsGroup: gid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export const containerSecurity: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
};

/** `valueFrom` for one key of a Secret: how every password reaches a container. */
export interface SecretKeyRef {
    name: pulumi.Input<string>;
    key: string;
}

export function secretEnv(name: string, ref: SecretKeyRef): k8s.types.input.core.v1.EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

export function plainEnv(vars: Record<string, pulumi.Input<string>>): k8s.types.input.core.v1.EnvVar[] {
    return Object.entries(vars).map(([name, value]) => ({ name, value }));
}

/** How a UI is reached from outside the cluster, set per stack. */
export interface Exposure {
    type: ServiceType;
    /** Used only when type is NodePort (kind maps these ports to the host). */
    nodePort?: number;
    /** On the Service, e.g. `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`. */
    annotations?: Record<string, string>;
}

export function servicePort(name: string, port: number, exposure?: Exposure): k8s.types.input.core.v1.ServicePort {
    const p: k8s.types.input.core.v1.ServicePort = { name, port, targetPort: port, protocol: "TCP" };
    if (exposure?.type === "NodePort" && exposure.nodePort !== undefined) {
        p.nodePort = exposure.nodePort;
    }
    return p;
}

/** In-cluster DNS name of a Service. */
export function serviceHost(service: k8s.core.v1.Service): pulumi.Output<string> {
    return pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
}

/** One replica with one ReadWriteOnce data volume: how the platform runs each stateful server. */
export function singleReplicaStatefulSetSpec(a: {
    serviceName: pulumi.Input<string>;
    labels: { all: Record<string, string>; selector: Record<string, string> };
    pod: k8s.types.input.core.v1.PodSpec;
    storageClass?: pulumi.Input<string>;
    storageSize: pulumi.Input<string>;
}): k8s.types.input.apps.v1.StatefulSetSpec {
    return {
        serviceName: a.serviceName,
        replicas: 1,
        selector: { matchLabels: a.labels.selector },
        template: { metadata: { labels: a.labels.all }, spec: a.pod },
        volumeClaimTemplates: [
            {
                metadata: { name: "data", labels: a.labels.all },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: a.storageClass, resources: { requests: { storage: a.storageSize } } },
            },
        ],
    };
}
