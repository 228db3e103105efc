import { LakehouseConfig } from "../components/config";

/**
 * The kind cluster the dev stack runs on: one node whose NodePorts for the UIs are published on the
 * host's loopback, so `http://localhost:<port>` reaches them without port-forwards.
 */
export function kindClusterConfig(cfg: Pick<LakehouseConfig, "nodePorts">): string {
    const ports = Object.values(cfg.nodePorts)
        .map((p) => `      - containerPort: ${p}\n        hostPort: ${p}\n        listenAddress: "127.0.0.1"\n        protocol: TCP`)
        .join("\n");
    return ["kind: Cluster", "apiVersion: kind.x-k8s.io/v1alpha4", "nodes:", "  - role: control-plane", "    extraPortMappings:", ports, ""].join("\n");
}
