# The team's own make targets. The Makefile includes this file, and `copier update` never touches it,
# so targets added here survive template updates. Document a target with `## ` to list it in `make help`.
#
# Example:
#
# .PHONY: notebook
# notebook: ## Start Jupyter Lab in the project's environment
# 	$(RUN) jupyter lab
