# Caller policy of spec "quickstart" for flowplan apply.
# Attach it to the credentials flowplan starts with (the CI role or user): they assume the runner role of each account.
# sts:GetCallerIdentity needs no permission, so it is not listed.
data "aws_iam_policy_document" "flowplan_quickstart_caller_apply" {
  statement {
    sid       = "AssumeRunnerRoles"
    effect    = "Allow"
    actions   = ["sts:AssumeRole"]
    resources = [
      "arn:aws:iam::111111111111:role/FlowplanRunner",
      "arn:aws:iam::222222222222:role/FlowplanRunner",
    ]
  }
}
