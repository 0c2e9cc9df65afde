# Runner hosts (stacks/pools-os.ts): Amazon Linux, Ubuntu, Windows and GPU pools get their AMI, bootstrap and
# root device; an AMI by owner + name filter; the syncer copies the Windows runner; a customized Windows pool;
# refused pool values.
mock_provider "aws" {
  override_during = plan
  source = "./tests/mocks"
}

variables {
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0"]
  pools = {
    al = {
      labels         = ["linux", "al"]
      instance_types = ["m7i.large"]
    }
    "al-arm" = {
      labels         = ["linux", "arm64"]
      instance_types = ["m7g.large"]
      architecture   = "arm64"
    }
    gpu = {
      labels            = ["linux", "gpu"]
      instance_types    = ["g5.xlarge"]
      ami_ssm_parameter = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id"
      root_volume_size  = 200
    }
    ubuntu = {
      labels             = ["ubuntu"]
      instance_types     = ["m7i.large"]
      linux_distribution = "ubuntu-24.04"
    }
    "ubuntu-jammy" = {
      labels             = ["ubuntu-22.04"]
      instance_types     = ["m7i.large"]
      linux_distribution = "ubuntu-22.04"
    }
    windows = {
      labels         = ["windows"]
      instance_types = ["m7i.xlarge"]
      os             = "windows"
    }
  }
}

run "amazon_linux_pool" {
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template]
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["al"].image_id == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" && aws_launch_template.runner_launch_template["al-arm"].image_id == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    error_message = "Amazon Linux 2023 pools default to AWS's public parameter for their architecture."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["al"].user_data), "dnf install") && startswith(base64decode(aws_launch_template.runner_launch_template["al"].user_data), "#!/bin/bash")
    error_message = "Amazon Linux pools boot with the dnf bootstrap."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["al"].block_device_mappings[0].device_name == "/dev/xvda"
    error_message = "Amazon Linux boots from /dev/xvda."
  }
}

run "ubuntu_pools" {
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template]
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["ubuntu"].image_id == "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id" && aws_launch_template.runner_launch_template["ubuntu-jammy"].image_id == "resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
    error_message = "Ubuntu pools default to Canonical's public parameter of their release."
  }
  assert {
    condition     = alltrue([for k in ["ubuntu", "ubuntu-jammy"] : strcontains(base64decode(aws_launch_template.runner_launch_template[k].user_data), "apt_get install") && !strcontains(base64decode(aws_launch_template.runner_launch_template[k].user_data), "dnf ")])
    error_message = "Ubuntu pools boot with the apt bootstrap."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["ubuntu"].block_device_mappings[0].device_name == "/dev/sda1"
    error_message = "Ubuntu boots from /dev/sda1: the volume settings must size that device."
  }
}

run "windows_pool" {
  command = plan
  plan_options {
    target = [aws_lambda_function.runner_binaries_syncer_function, aws_launch_template.runner_launch_template]
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["windows"].image_id == "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base"
    error_message = "Windows pools default to the latest Windows Server 2022 AMI."
  }
  assert {
    condition     = startswith(base64decode(aws_launch_template.runner_launch_template["windows"].user_data), "<powershell>\n") && endswith(base64decode(aws_launch_template.runner_launch_template["windows"].user_data), "</powershell>\n")
    error_message = "Windows user data is PowerShell for EC2Launch v2."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["windows"].user_data), "run.cmd") && aws_launch_template.runner_launch_template["windows"].block_device_mappings[0].device_name == "/dev/sda1"
    error_message = "Windows runs run.cmd and boots from /dev/sda1."
  }
  assert {
    condition     = toset(jsondecode(aws_lambda_function.runner_binaries_syncer_function.environment[0].variables.RUNNER_PLATFORMS)) == toset(["linux-x64", "linux-arm64", "win-x64"])
    error_message = "The syncer copies the runner for every OS and architecture the pools use."
  }
}

run "ubuntu_pools_install_the_aws_cli_from_the_bucket" {
  command = plan
  plan_options {
    target = [aws_lambda_function.runner_binaries_syncer_function, aws_launch_template.runner_launch_template]
  }
  assert {
    condition     = jsondecode(aws_lambda_function.runner_binaries_syncer_function.environment[0].variables.AWS_CLI_PLATFORMS) == ["linux-x64"]
    error_message = "The syncer copies the AWS CLI for the architectures of the Ubuntu pools only (not Amazon Linux, GPU or Windows)."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["ubuntu"].user_data), "CLI_FALLBACK='false'") && strcontains(base64decode(aws_launch_template.runner_launch_template["ubuntu"].user_data), "s3_get \"$BINARIES_PREFIX\"resolved-version.json")
    error_message = "Ubuntu reads the AWS CLI from the bucket, with no internet fallback by default."
  }
}

run "aws_cli_internet_fallback_reaches_the_ubuntu_user_data" {
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template]
  }
  variables {
    aws_cli_internet_fallback = true
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["ubuntu-jammy"].user_data), "CLI_FALLBACK='true'")
    error_message = "aws_cli_internet_fallback = true lets Ubuntu runners download AWS's installer."
  }
}

run "gpu_pool" {
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template]
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["gpu"].image_id == "resolve:ssm:/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id"
    error_message = "The GPU pool boots the Deep Learning Base AMI (NVIDIA driver present)."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["gpu"].block_device_mappings[0].ebs[0].volume_size == 200 && aws_launch_template.runner_launch_template["gpu"].block_device_mappings[0].device_name == "/dev/xvda"
    error_message = "The GPU pool's larger root volume sizes the AMI's root device."
  }
}

run "ami_by_owner_and_name" {
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template, data.aws_ami.runner_ami]
  }
  variables {
    pools = {
      baked = {
        labels          = ["baked"]
        instance_types  = ["m7i.large"]
        ami_owners      = ["123456789012"]
        ami_name_filter = "sr-runner-*"
      }
      linux = {
        labels         = ["linux"]
        instance_types = ["m7i.large"]
      }
    }
  }
  override_data {
    override_during = plan
    target = data.aws_ami.runner_ami["baked"]
    values = { id = "ami-0123456789abcdef0" }
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["baked"].image_id == "ami-0123456789abcdef0" && keys(data.aws_ami.runner_ami) == ["baked"]
    error_message = "A pool with an AMI name filter launches the newest match, looked up for that pool only."
  }
  assert {
    condition     = tolist(data.aws_ami.runner_ami["baked"].owners) == tolist(["123456789012"]) && data.aws_ami.runner_ami["baked"].most_recent
    error_message = "The lookup searches the pool's owners for the newest image."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["linux"].image_id == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    error_message = "Other pools keep their SSM parameter."
  }
}

run "fails_when_os_is_unknown" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = { linux = { labels = ["linux"], instance_types = ["m7i.large"], os = "macos" } }
  }
  expect_failures = [var.pools]
}

run "fails_when_linux_distribution_is_unknown" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = { linux = { labels = ["linux"], instance_types = ["m7i.large"], linux_distribution = "debian-12" } }
  }
  expect_failures = [var.pools]
}

run "fails_when_windows_is_arm64" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = { windows = { labels = ["windows"], instance_types = ["m7g.large"], os = "windows", architecture = "arm64" } }
  }
  expect_failures = [var.pools]
}

run "a_windows_pool_runs_powershell_scripts_hooks_and_a_job_environment" {
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template, aws_s3_object.runner_customization_document]
  }
  variables {
    pools = {
      windows = {
        labels              = ["windows"]
        instance_types      = ["m7i.xlarge"]
        os                  = "windows"
        pre_install_script  = "Set-TimeZone -Id UTC"
        job_started_hook    = "Write-Output started"
        job_environment     = { TZ = "UTC" }
        post_install_script = "exit 0"
      }
    }
  }
  assert {
    condition     = jsondecode(aws_s3_object.runner_customization_document["windows"].content).pre_install_script == "Set-TimeZone -Id UTC" && jsondecode(aws_s3_object.runner_customization_document["windows"].content).job_environment == { TZ = "UTC" }
    error_message = "A Windows pool's scripts, hooks and job environment are accepted and stored in its customization document."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["windows"].user_data), "$CustomizationKey = 'pools/windows/customization.json'")
    error_message = "The Windows user data names the pool's document."
  }
}

run "fails_when_ami_name_filter_has_no_owners" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = { linux = { labels = ["linux"], instance_types = ["m7i.large"], ami_name_filter = "sr-runner-*" } }
  }
  expect_failures = [var.pools]
}

run "fails_when_ami_name_filter_and_ssm_parameter_are_both_set" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = { linux = { labels = ["linux"], instance_types = ["m7i.large"], ami_name_filter = "sr-*", ami_owners = ["self"], ami_ssm_parameter = "/sr/ami" } }
  }
  expect_failures = [var.pools]
}

run "fails_when_ami_owner_is_malformed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = { linux = { labels = ["linux"], instance_types = ["m7i.large"], ami_name_filter = "sr-*", ami_owners = ["12345"] } }
  }
  expect_failures = [var.pools]
}
