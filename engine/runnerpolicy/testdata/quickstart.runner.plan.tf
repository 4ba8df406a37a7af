# Runner policy of spec "quickstart" for flowplan plan.
# Attach it to the role flowplan assumes in each account: arn:aws:iam::111111111111:role/FlowplanRunner, arn:aws:iam::222222222222:role/FlowplanRunner.
# flowplan works with the credentials it starts with in 333333333333 (no assume_role): attach it to them too.
# One document serves every account: an identity policy acts only in its own account, so account IDs are "*".
data "aws_iam_policy_document" "flowplan_quickstart_runner_plan" {
  statement {
    sid       = "DescribeNetworkAndFlowLogs"
    effect    = "Allow"
    actions   = [
      "ec2:DescribeFlowLogs",
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
    sid       = "DescribeLogGroups"
    effect    = "Allow"
    actions   = ["logs:DescribeLogGroups"]
    resources = [
      "arn:aws:logs:eu-west-1:*:log-group:*",
      "arn:aws:logs:us-east-1:*:log-group:*",
    ]
  }

  statement {
    sid       = "ReadLogGroups"
    effect    = "Allow"
    actions   = ["logs:ListTagsForResource"]
    resources = [
      "arn:aws:logs:eu-west-1:*:log-group:/flowplan/*/eu-west-1",
      "arn:aws:logs:eu-west-1:*:log-group:/flowplan/*/eu-west-1:*",
      "arn:aws:logs:us-east-1:*:log-group:/flowplan/*/tgw",
      "arn:aws:logs:us-east-1:*:log-group:/flowplan/*/tgw:*",
      "arn:aws:logs:us-east-1:*:log-group:/flowplan/*/us-east-1",
      "arn:aws:logs:us-east-1:*:log-group:/flowplan/*/us-east-1:*",
    ]
  }

  statement {
    sid       = "ManagedBucketPolicies"
    effect    = "Allow"
    actions   = [
      "s3:GetBucketLocation",
      "s3:GetBucketPolicy",
    ]
    resources = ["arn:aws:s3:::org-flow-logs-archive"]
  }
}
