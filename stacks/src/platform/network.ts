import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface HostNetwork {
  vpcId: pulumi.Output<string>;
  subnetId: pulumi.Output<string>;
}

/** The configured subnet (and its VPC), or the first default subnet of the default VPC. */
export function hostNetwork(subnetId: string | undefined): HostNetwork {
  if (subnetId) {
    const subnet = aws.ec2.getSubnetOutput({ id: subnetId });
    return { vpcId: subnet.vpcId, subnetId: pulumi.output(subnetId) };
  }
  const vpc = aws.ec2.getVpcOutput({ default: true });
  const subnets = aws.ec2.getSubnetsOutput({
    filters: [
      { name: "vpc-id", values: [vpc.id] },
      { name: "default-for-az", values: ["true"] },
    ],
  });
  return {
    vpcId: vpc.id,
    subnetId: subnets.ids.apply((ids) => {
      const first = [...ids].sort()[0];
      if (!first)
        throw new Error("The default VPC has no default subnet: set openaq-lakehouse:airflowSubnetId.");
      return first;
    }),
  };
}
