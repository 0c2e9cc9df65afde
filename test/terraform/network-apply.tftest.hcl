# The run of network.tftest.hcl that must apply: it reads the endpoint group's computed egress, unknown at plan even under mocks.
# Mock values come at apply here (no override_during = plan): a file that applies with values mocked
# at plan gets "Provider produced inconsistent final plan".
# Networking: VPC endpoints and NAT instances with per-AZ failover, off by default, on in several
# combinations, and refused for inputs that cannot work.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0"]
  pools = {
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large"]
    }
  }
}

run "vpc_endpoints_on" {
  # apply: the endpoint security group's id and its computed egress rules are unknown at plan, even under mocks.
  command = apply
  plan_options {
    target = [
      aws_autoscaling_group.nat_asg,
      aws_lambda_function.nat_failover_function,
      aws_security_group.vpc_endpoints_security_group,
      aws_vpc_endpoint.vpc_endpoints_gateway,
      aws_vpc_endpoint.vpc_endpoints_interface,
    ]
  }
  variables {
    create_vpc_endpoints         = true
    vpc_endpoint_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa2", "subnet-0bbbbbbbbbbbbbbb2"]
    vpc_endpoint_route_table_ids = ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb1"]
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.vpc_endpoints_interface)) == toset(["sqs", "ssm", "ec2", "logs", "sts", "kms"])
    error_message = "One interface endpoint per default service."
  }
  assert {
    condition = alltrue([
      for svc, e in aws_vpc_endpoint.vpc_endpoints_interface :
      e.service_name == "com.amazonaws.eu-west-1.${svc}" && e.vpc_endpoint_type == "Interface" && e.private_dns_enabled && e.vpc_id == "vpc-0123456789abcdef0"
      && toset(e.subnet_ids) == toset(["subnet-0aaaaaaaaaaaaaaa2", "subnet-0bbbbbbbbbbbbbbb2"]) && e.security_group_ids == toset([aws_security_group.vpc_endpoints_security_group[0].id])
    ])
    error_message = "Interface endpoints have private DNS, sit in the given subnets and behind the endpoint security group."
  }
  assert {
    condition = alltrue([
      for rule in aws_security_group.vpc_endpoints_security_group[0].ingress :
      rule.protocol == "tcp" && rule.from_port == 443 && rule.to_port == 443 && toset(rule.cidr_blocks) == toset(["10.0.0.0/16", "100.64.0.0/16"]) && length(rule.security_groups) == 0
    ]) && length(aws_security_group.vpc_endpoints_security_group[0].ingress) == 1
    error_message = "The endpoints admit HTTPS from every CIDR block of the VPC, nothing else."
  }
  assert {
    condition     = length(aws_security_group.vpc_endpoints_security_group[0].egress) == 0
    error_message = "The endpoint security group allows no egress."
  }
  assert {
    condition = keys(aws_vpc_endpoint.vpc_endpoints_gateway) == ["dynamodb", "s3"] && aws_vpc_endpoint.vpc_endpoints_gateway["dynamodb"].vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.vpc_endpoints_gateway["dynamodb"].service_name == "com.amazonaws.eu-west-1.dynamodb" && toset(aws_vpc_endpoint.vpc_endpoints_gateway["dynamodb"].route_table_ids) == toset(["rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb1"])
    error_message = "DynamoDB and S3 gateway endpoints (S3: the runner binaries) on the given route tables."
  }
  assert {
    condition     = length(output.vpc_endpoint_ids) == 8 && output.vpc_endpoint_security_group_id == aws_security_group.vpc_endpoints_security_group[0].id
    error_message = "The outputs list every endpoint and the security group."
  }
  assert {
    condition     = length(aws_autoscaling_group.nat_asg) == 0 && length(aws_lambda_function.nat_failover_function) == 0
    error_message = "Endpoints alone create no NAT."
  }
}
