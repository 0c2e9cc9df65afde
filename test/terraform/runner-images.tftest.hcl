# Baked runner images (runner_images): no pipeline by default; one EC2 Image Builder pipeline per
# image, publishing to /<prefix>/runner-images/<key>; invalid definitions refused at plan.
mock_provider "aws" {
  override_during = plan
  source = "./tests/mocks"
}

variables {
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  pools = {
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large"]
    }
  }
}

run "images_off" {
  command = plan
  plan_options {
    target = [
      aws_iam_instance_profile.runner_images_instance_profile,
      aws_iam_role.runner_images_role,
      aws_iam_role_policy.encryption_grant_ebs_scale_up,
      aws_imagebuilder_image_pipeline.runner_images_pipeline,
      aws_security_group.runner_images_security_group,
    ]
  }
  assert {
    condition     = length(aws_imagebuilder_image_pipeline.runner_images_pipeline) == 0 && length(aws_iam_role.runner_images_role) == 0 && length(aws_iam_instance_profile.runner_images_instance_profile) == 0 && length(aws_security_group.runner_images_security_group) == 0
    error_message = "Without runner_images nothing of Image Builder is created."
  }
  assert {
    condition     = length(aws_iam_role_policy.encryption_grant_ebs_scale_up) == 0
    error_message = "Without images scale-up gets no EBS grant on the kit key."
  }
}

run "images_on" {
  command = plan
  plan_options {
    target = [
      aws_iam_role.runner_images_role,
      aws_iam_role_policy.encryption_grant_ebs_scale_up,
      aws_imagebuilder_component.runner_images_component,
      aws_imagebuilder_distribution_configuration.runner_images_distribution,
      aws_imagebuilder_image_pipeline.runner_images_pipeline,
      aws_imagebuilder_image_recipe.runner_images_recipe,
      aws_imagebuilder_infrastructure_configuration.runner_images_infrastructure,
      aws_kms_key.encryption_key,
    ]
  }
  variables {
    prefix = "ci"
    runner_images = {
      docker = {
        prepull_images = ["public.ecr.aws/docker/library/node:22"]
        extra_packages = ["git"]
        user_script    = "echo baked"
      }
      arm = {
        architecture = "arm64"
        docker       = false
        schedule     = "cron(0 2 ? * SUN *)"
      }
    }
  }
  assert {
    condition     = length(aws_imagebuilder_image_pipeline.runner_images_pipeline) == 2 && length(aws_iam_role.runner_images_role) == 1
    error_message = "One pipeline per image, one build role."
  }
  assert {
    condition     = aws_imagebuilder_image_pipeline.runner_images_pipeline["arm"].schedule[0].schedule_expression == "cron(0 2 ? * SUN *)" && aws_imagebuilder_image_pipeline.runner_images_pipeline["docker"].schedule[0].schedule_expression == "cron(0 4 ? * MON *)"
    error_message = "Each pipeline runs on its schedule (default weekly)."
  }
  assert {
    condition     = aws_imagebuilder_image_recipe.runner_images_recipe["arm"].parent_image == "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64" && aws_imagebuilder_infrastructure_configuration.runner_images_infrastructure["arm"].instance_types == toset(["m7g.large"])
    error_message = "arm64 images default to the arm64 parent and build instance."
  }
  assert {
    condition     = one(one(aws_imagebuilder_distribution_configuration.runner_images_distribution["docker"].distribution).ssm_parameter_configuration).parameter_name == "/ci/runner-images/docker"
    error_message = "The newest AMI id goes to /<prefix>/runner-images/<key>."
  }
  assert {
    condition     = strcontains(aws_imagebuilder_component.runner_images_component["docker"].data, "schemaVersion: 1.0") && strcontains(aws_imagebuilder_component.runner_images_component["docker"].data, "PREPULL_IMAGES='public.ecr.aws/docker/library/node:22'")
    error_message = "The component runs the image script with the image's settings."
  }
  assert {
    condition     = one(aws_imagebuilder_image_recipe.runner_images_recipe["docker"].block_device_mapping).ebs[0].kms_key_id == aws_kms_key.encryption_key[0].arn
    error_message = "The AMI's EBS is encrypted with the kit's key."
  }
  assert {
    condition     = output.runner_image_ssm_parameter_names == { arm = "/ci/runner-images/arm", docker = "/ci/runner-images/docker" }
    error_message = "The parameters are an output for pools."
  }
  assert {
    condition     = length(aws_iam_role_policy.encryption_grant_ebs_scale_up) == 1
    error_message = "Scale-up may launch from snapshots encrypted with the kit key."
  }
}

run "fails_when_an_image_key_is_not_a_name" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_images = { "Big Image" = {} }
  }
  expect_failures = [var.runner_images]
}

run "fails_when_an_image_schedule_is_a_rate" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_images = { docker = { schedule = "rate(1 day)" } }
  }
  expect_failures = [var.runner_images]
}

run "fails_when_images_are_pre_pulled_without_docker" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_images = { docker = { docker = false, prepull_images = ["node:22"] } }
  }
  expect_failures = [var.runner_images]
}

run "fails_when_a_package_name_could_inject_shell" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_images = { docker = { extra_packages = ["git; curl evil"] } }
  }
  expect_failures = [var.runner_images]
}
