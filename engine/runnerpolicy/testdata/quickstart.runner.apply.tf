# Runner policy of spec "quickstart" for flowplan apply.
# Attach it to the role flowplan assumes in each account: arn:aws:iam::111111111111:role/FlowplanRunner, arn:aws:iam::222222222222:role/FlowplanRunner.
# flowplan works with the credentials it starts with in 333333333333 (no assume_role): attach it to them too.
# One document serves every account: an identity policy acts only in its own account, so account IDs are "*".
data "aws_iam_policy_document" "flowplan_quickstart_runner_apply" {
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
    sid       = "CreateDeliveryRoles"
    effect    = "Allow"
    actions   = [
      "iam:CreateRole",
      "iam:TagRole",
    ]
    resources = ["arn:aws:iam::*:role/flowplan/flowplan-flow-logs"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/flowplan:spec"
      values   = ["quickstart"]
    }
  }

  statement {
    sid       = "UpdateManagedDeliveryRoles"
    effect    = "Allow"
    actions   = [
      "iam:DeleteRolePermissionsBoundary",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:TagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
    ]
    resources = ["arn:aws:iam::*:role/flowplan/flowplan-flow-logs"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["quickstart"]
    }
  }

  statement {
    sid       = "DeleteManagedDeliveryRoles"
    effect    = "Allow"
    actions   = [
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
    ]
    resources = [
      "arn:aws:iam::*:role/*/flowplan-flow-logs",
      "arn:aws:iam::*:role/flowplan-flow-logs",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["quickstart"]
    }
  }

  statement {
    sid       = "PassDeliveryRoles"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::*:role/flowplan/flowplan-flow-logs"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["vpc-flow-logs.amazonaws.com"]
    }
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
    sid       = "WriteLogGroups"
    effect    = "Allow"
    actions   = [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:DeleteRetentionPolicy",
      "logs:DisassociateKmsKey",
      "logs:PutRetentionPolicy",
      "logs:TagResource",
    ]
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
    sid       = "CreateTaggedFlowLogs"
    effect    = "Allow"
    actions   = ["ec2:CreateFlowLogs"]
    resources = [
      "arn:aws:ec2:eu-west-1:*:vpc-flow-log/*",
      "arn:aws:ec2:us-east-1:*:vpc-flow-log/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/flowplan:spec"
      values   = ["quickstart"]
    }
  }

  statement {
    sid       = "CreateFlowLogsOnTargets"
    effect    = "Allow"
    actions   = ["ec2:CreateFlowLogs"]
    resources = [
      "arn:aws:ec2:eu-west-1:*:vpc/*",
      "arn:aws:ec2:us-east-1:*:transit-gateway/*",
      "arn:aws:ec2:us-east-1:*:vpc/*",
    ]
  }

  statement {
    sid       = "TagFlowLogsOnCreate"
    effect    = "Allow"
    actions   = ["ec2:CreateTags"]
    resources = [
      "arn:aws:ec2:eu-west-1:*:vpc-flow-log/*",
      "arn:aws:ec2:us-east-1:*:vpc-flow-log/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/flowplan:spec"
      values   = ["quickstart"]
    }

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateFlowLogs"]
    }
  }

  statement {
    sid       = "RetagManagedFlowLogs"
    effect    = "Allow"
    actions   = ["ec2:CreateTags"]
    resources = [
      "arn:aws:ec2:eu-west-1:*:vpc-flow-log/*",
      "arn:aws:ec2:us-east-1:*:vpc-flow-log/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["quickstart"]
    }
  }

  statement {
    sid       = "AdoptUnmanagedFlowLogs"
    effect    = "Allow"
    actions   = ["ec2:CreateTags"]
    resources = [
      "arn:aws:ec2:eu-west-1:*:vpc-flow-log/*",
      "arn:aws:ec2:us-east-1:*:vpc-flow-log/*",
    ]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["true"]
    }

    condition {
      test     = "Null"
      variable = "ec2:CreateAction"
      values   = ["true"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/flowplan:spec"
      values   = ["quickstart"]
    }
  }

  statement {
    sid       = "DeleteManagedFlowLogs"
    effect    = "Allow"
    actions   = ["ec2:DeleteFlowLogs"]
    resources = [
      "arn:aws:ec2:eu-west-1:*:vpc-flow-log/*",
      "arn:aws:ec2:us-east-1:*:vpc-flow-log/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["quickstart"]
    }
  }

  statement {
    sid       = "LogDeliveries"
    effect    = "Allow"
    actions   = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ManagedBucketPolicies"
    effect    = "Allow"
    actions   = [
      "s3:DeleteBucketPolicy",
      "s3:GetBucketLocation",
      "s3:GetBucketPolicy",
      "s3:PutBucketPolicy",
    ]
    resources = ["arn:aws:s3:::org-flow-logs-archive"]
  }

  statement {
    sid       = "ApplyLock"
    effect    = "Allow"
    actions   = [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DescribeLogStreams",
      "logs:ListTagsForResource",
      "logs:TagResource",
    ]
    resources = ["arn:aws:logs:us-east-1:*:log-group:/flowplan/locks/quickstart/*"]
  }
}
