# One flow log per prod VPC (found by tag) to a CloudWatch Logs group, with
# a delivery role and its inline policy: the usual Terraform setup.

data "aws_vpcs" "prod" {
  tags = { env = "prod" }
}

resource "aws_iam_role" "flow_logs" {
  name = "tf-flow-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.prod.account_id } }
    }]
  })
}

resource "aws_iam_role_policy" "flow_logs" {
  name = "deliver"
  role = aws_iam_role.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"]
      Resource = "*"
    }]
  })
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/tf/flow-logs"
  retention_in_days = 30
}

resource "aws_flow_log" "cloudwatch" {
  for_each                 = toset(data.aws_vpcs.prod.ids)
  vpc_id                   = each.value
  traffic_type             = "REJECT"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60
  tags                     = { team = "netsec" }
  # The role must be able to write before the flow logs deliver.
  depends_on = [aws_iam_role_policy.flow_logs]
}
