# The prod transit gateway (found by tag) and each of its VPC attachments,
# to a log group of their own through a role under a path, with a custom
# format of transit gateway fields. Transit gateway flow logs take no
# traffic type and only a 60-second interval.

data "aws_ec2_transit_gateway" "prod" {
  filter {
    name   = "tag:env"
    values = ["prod"]
  }
}

data "aws_ec2_transit_gateway_attachments" "prod" {
  filter {
    name   = "transit-gateway-id"
    values = [data.aws_ec2_transit_gateway.prod.id]
  }
  filter {
    name   = "resource-type"
    values = ["vpc"]
  }
}

resource "aws_iam_role" "tgw_flow_logs" {
  name = "tf-tgw-flow-logs"
  path = "/network/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = { team = "netsec" }
}

resource "aws_iam_role_policy" "tgw_flow_logs" {
  name = "deliver"
  role = aws_iam_role.tgw_flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"]
      Resource = "${aws_cloudwatch_log_group.tgw.arn}:*"
    }]
  })
}

resource "aws_cloudwatch_log_group" "tgw" {
  name              = "/tf/transit-gateways"
  retention_in_days = 90
  tags              = { team = "netsec" }
}

resource "aws_flow_log" "tgw" {
  transit_gateway_id       = data.aws_ec2_transit_gateway.prod.id
  log_destination          = aws_cloudwatch_log_group.tgw.arn
  iam_role_arn             = aws_iam_role.tgw_flow_logs.arn
  max_aggregation_interval = 60
  depends_on               = [aws_iam_role_policy.tgw_flow_logs]
}

resource "aws_flow_log" "tgw_attachment" {
  for_each                      = toset(data.aws_ec2_transit_gateway_attachments.prod.ids)
  transit_gateway_attachment_id = each.value
  log_destination               = aws_cloudwatch_log_group.tgw.arn
  iam_role_arn                  = aws_iam_role.tgw_flow_logs.arn
  max_aggregation_interval      = 60
  log_format                    = "$${version} $${resource-type} $${account-id} $${tgw-id} $${tgw-attachment-id} $${srcaddr} $${dstaddr} $${packets} $${bytes} $${start} $${end} $${log-status}"
  depends_on                    = [aws_iam_role_policy.tgw_flow_logs]
}
