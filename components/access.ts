import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceType } from "./config";

/**
 * How a person reaches a UI from their machine, by the stack's service exposure: a localhost URL
 * (kind maps node ports to the host), the load balancer's address, or the port-forward to run.
 */
export function hostUrl(service: k8s.core.v1.Service, port: number, type: ServiceType, nodePort: number): pulumi.Output<string> {
    switch (type) {
        case "NodePort":
            return pulumi.output(`http://localhost:${nodePort}`);
        case "LoadBalancer":
            return service.status.apply((s) => {
                const ingress = s?.loadBalancer?.ingress?.[0];
                const host = ingress?.hostname ?? ingress?.ip;
                return host ? `http://${host}:${port}` : "pending: the load balancer has no address yet";
            });
        case "ClusterIP":
            return pulumi.interpolate`kubectl -n ${service.metadata.namespace} port-forward svc/${service.metadata.name} ${port}:${port}  # then http://localhost:${port}`;
    }
}
