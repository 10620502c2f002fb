# A small production estate with the machine credentials a platform team meets every week.

provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = {
      owner       = "platform-team"
      environment = "prod"
    }
  }
}

resource "aws_iam_user" "deploy_bot" {
  name = "deploy-bot"
  path = "/system/"
}

# A static key for the deploy bot: never expires, and without pgp_key its secret lands in state.
resource "aws_iam_access_key" "deploy_bot" {
  user = aws_iam_user.deploy_bot.name
}

# The better pattern: CI assumes a role through OIDC, no key to leak.
resource "aws_iam_role" "deploy" {
  name                 = "deploy"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:sub" = "repo:example-org/infra:environment:prod"
        }
      }
    }]
  })
}
