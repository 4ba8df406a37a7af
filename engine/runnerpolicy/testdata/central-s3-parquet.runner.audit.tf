# Runner policy of spec "central-archive" for flowplan audit.
# Attach it to the role flowplan assumes in each account: arn:aws:iam::333333333333:role/FlowplanRunner, the role FlowplanRunner in every account of the organization.
# flowplan works with the credentials it starts with in the organization account it runs in: attach it to them too.
# One document serves every account: an identity policy acts only in its own account, so account IDs are "*".
data "aws_iam_policy_document" "flowplan_central_archive_runner_audit" {
  statement {
    sid       = "DescribeNetworkAndFlowLogs"
    effect    = "Allow"
    actions   = [
      "ec2:DescribeFlowLogs",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeRegions",
      "ec2:DescribeTransitGateways",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ListRoles"
    effect    = "Allow"
    actions   = ["iam:ListRoles"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadRoles"
    effect    = "Allow"
    actions   = [
      "iam:GetRole",
      "iam:GetRolePolicy",
    ]
    resources = ["arn:aws:iam::*:role/*"]
  }

  statement {
    sid       = "ManagedBucketPolicies"
    effect    = "Allow"
    actions   = [
      "s3:GetBucketLocation",
      "s3:GetBucketPolicy",
    ]
    resources = ["arn:aws:s3:::example-org-flow-logs"]
  }

  statement {
    sid       = "ListDestinationBuckets"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::example-org-flow-logs"]
  }
}
