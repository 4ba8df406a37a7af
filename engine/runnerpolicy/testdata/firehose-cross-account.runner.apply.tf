# Runner policy of spec "firehose-stream" for flowplan apply.
# Attach it to the role flowplan assumes in each account: arn:aws:iam::111111111111:role/FlowplanRunner, arn:aws:iam::222222222222:role/FlowplanRunner, arn:aws:iam::666666666666:role/FlowplanRunner.
# One document serves every account: an identity policy acts only in its own account, so account IDs are "*".
data "aws_iam_policy_document" "flowplan_firehose_stream_runner_apply" {
  statement {
    sid       = "DescribeNetworkAndFlowLogs"
    effect    = "Allow"
    actions   = [
      "ec2:DescribeFlowLogs",
      "ec2:DescribeRegions",
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
    resources = ["arn:aws:iam::*:role/flowplan/flowplan-firehose-source"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/flowplan:spec"
      values   = ["firehose-stream"]
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
    resources = ["arn:aws:iam::*:role/flowplan/flowplan-firehose-source"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["firehose-stream"]
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
      "arn:aws:iam::*:role/*/flowplan-firehose-source",
      "arn:aws:iam::*:role/flowplan-firehose-source",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["firehose-stream"]
    }
  }

  statement {
    sid       = "PassDeliveryRoles"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::*:role/flowplan/flowplan-firehose-source"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["delivery.logs.amazonaws.com"]
    }
  }

  statement {
    sid       = "CreateTaggedFlowLogs"
    effect    = "Allow"
    actions   = ["ec2:CreateFlowLogs"]
    resources = ["arn:aws:ec2:us-east-1:*:vpc-flow-log/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/flowplan:spec"
      values   = ["firehose-stream"]
    }
  }

  statement {
    sid       = "CreateFlowLogsOnTargets"
    effect    = "Allow"
    actions   = ["ec2:CreateFlowLogs"]
    resources = ["arn:aws:ec2:us-east-1:*:vpc/*"]
  }

  statement {
    sid       = "TagFlowLogsOnCreate"
    effect    = "Allow"
    actions   = ["ec2:CreateTags"]
    resources = ["arn:aws:ec2:us-east-1:*:vpc-flow-log/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/flowplan:spec"
      values   = ["firehose-stream"]
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
    resources = ["arn:aws:ec2:us-east-1:*:vpc-flow-log/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["firehose-stream"]
    }
  }

  statement {
    sid       = "AdoptUnmanagedFlowLogs"
    effect    = "Allow"
    actions   = ["ec2:CreateTags"]
    resources = ["arn:aws:ec2:us-east-1:*:vpc-flow-log/*"]

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
      values   = ["firehose-stream"]
    }
  }

  statement {
    sid       = "DeleteManagedFlowLogs"
    effect    = "Allow"
    actions   = ["ec2:DeleteFlowLogs"]
    resources = ["arn:aws:ec2:us-east-1:*:vpc-flow-log/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/flowplan:spec"
      values   = ["firehose-stream"]
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
    sid       = "FindApplyLocks"
    effect    = "Allow"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:aws:logs:us-east-1:*:log-group:*"]
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
    resources = ["arn:aws:logs:us-east-1:*:log-group:/flowplan/locks/firehose-stream/*"]
  }
}
