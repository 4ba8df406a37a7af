# Caller policy of spec "org-baseline" for flowplan apply.
# Attach it to the credentials flowplan starts with (the CI role or user): they assume the runner role of each account.
# Organizations answers only the management account or a delegated administrator: run flowplan with credentials of one.
# sts:GetCallerIdentity needs no permission, so it is not listed.
data "aws_iam_policy_document" "flowplan_org_baseline_caller_apply" {
  statement {
    sid       = "AssumeRunnerRoles"
    effect    = "Allow"
    actions   = ["sts:AssumeRole"]
    resources = ["arn:aws:iam::*:role/FlowplanRunner"]
  }

  statement {
    sid       = "ListOrganizationAccounts"
    effect    = "Allow"
    actions   = [
      "organizations:ListAccountsForParent",
      "organizations:ListOrganizationalUnitsForParent",
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
    resources = ["arn:aws:logs:us-east-1:*:log-group:/flowplan/locks/org-baseline/*"]
  }
}
