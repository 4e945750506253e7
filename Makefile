# lightrun-identity-operator
#
# `make dev` and `make test` are the two commands a newcomer needs; both build
# whatever they lack into bin/ first. `make help` lists every target.

# Image to build and push.
IMG ?= ghcr.io/lightrun-platform/lightrun-identity-operator:latest
# VERSION is stamped into the manager (internal/lightrun.Version: the
# User-Agent and `manager --version`) and labels the image.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# REVISION and SOURCE_DATE_EPOCH (the commit and its time) label the image and
# fix its every timestamp, so two `make image` runs of one commit give one digest.
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
# IMAGE_ARCH is the image's architecture; the host's by default.
IMAGE_ARCH ?= $(shell go env GOARCH)
# IMAGE_TARBALL is where `make image` writes the OCI image layout tarball.
IMAGE_TARBALL ?= $(LOCALBIN)/image/manager-$(VERSION)-linux-$(IMAGE_ARCH).oci.tar
# YEAR is substituted into the boilerplate header of generated files.
YEAR ?= 2026

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

CONTAINER_TOOL ?= docker

.PHONY: all
all: build

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

CHART_DIR ?= charts/lightrun-identity-operator

## Tool binaries
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
HELM ?= $(LOCALBIN)/helm
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
KUBE_APISERVER ?= $(LOCALBIN)/kube-apiserver
KUBECTL ?= $(LOCALBIN)/kubectl
CRANE ?= $(LOCALBIN)/crane
CRD_REF_DOCS ?= $(LOCALBIN)/crd-ref-docs
ETCD ?= $(LOCALBIN)/etcd

## Tool versions. The control plane's versions come from the pinned tools
## modules under hack/tools, so the Makefile and the builds cannot disagree.
CONTROLLER_TOOLS_VERSION ?= v0.23.0
HELM_VERSION ?= v3.22.0
GOLANGCI_LINT_VERSION ?= v2.13.1
# crd-ref-docs renders docs/configuration.md from the API types (make docs).
CRD_REF_DOCS_VERSION ?= v0.3.0
# crane pushes `make image`'s tarball to a registry; the go-containerregistry
# version hack/image is built with.
CRANE_VERSION := $(shell awk '$$1 == "github.com/google/go-containerregistry" {print $$2}' go.mod)
KUBE_VERSION := $(shell awk '$$1 == "require" && $$2 == "k8s.io/kubernetes" {print $$3}' hack/tools/kube/go.mod)
ETCD_VERSION := $(shell awk '$$1 == "go.etcd.io/etcd/server/v3" {print $$2} $$2 == "go.etcd.io/etcd/server/v3" {print $$3}' hack/tools/etcd/go.mod | head -n1)

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

# DEV_STATE keeps make dev's objects (etcd), the emulator's users and the
# SCIM token between runs; make dev-clean removes it.
DEV_STATE ?= $(LOCALBIN)/dev

.PHONY: dev
dev: control-plane manifests ## Start a local control plane, the Lightrun emulator and the operator; Ctrl-C stops them all.
	@echo "Compiling and starting cmd/devenv (the first compile takes minutes: 4m32s on a busy 2-core machine)."
	go run ./cmd/devenv --assets "$(LOCALBIN)" --state-dir "$(DEV_STATE)"

.PHONY: dev-clean
dev-clean: ## Remove make dev's state (bin/dev: objects, emulator users, SCIM token); stop make dev first. Keeps the binaries.
	rm -rf "$(DEV_STATE)"

# USERS=N makes make demo push N generated users for load; DEMO_FLAGS passes
# other flags (go run ./cmd/demo --help lists them).
USERS ?=
DEMO_FLAGS ?=

.PHONY: demo
demo: control-plane manifests ## Push an Okta-style and an Entra ID-style provisioning run into make dev (or its own copy) and show the result.
	go run ./cmd/demo --assets "$(LOCALBIN)" --state-dir "$(DEV_STATE)" --kubectl "$(KUBECTL)" \
		$(if $(USERS),--users "$(USERS)") $(DEMO_FLAGS)

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and RBAC into config/ and copy them into the Helm chart.
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases
	rm -f $(CHART_DIR)/files/crds/*.yaml
	mkdir -p $(CHART_DIR)/files/crds $(CHART_DIR)/files/rbac
	cp config/crd/bases/*.yaml $(CHART_DIR)/files/crds/
	cp config/rbac/role.yaml $(CHART_DIR)/files/rbac/role.yaml

.PHONY: generate
generate: controller-gen ## Generate DeepCopy, DeepCopyInto and DeepCopyObject implementations.
	"$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt",year=$(YEAR) paths="./..."

.PHONY: docs
docs: crd-ref-docs ## Generate docs/configuration.md, the configuration reference, from the API types.
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	"$(CRD_REF_DOCS)" --source-path=api --config=hack/crd-ref-docs/config.yaml --renderer=markdown \
		--templates-dir=hack/crd-ref-docs/templates --output-path="$$tmp/configuration.md" --log-level=WARN && \
	cat -s "$$tmp/configuration.md" > docs/configuration.md

GENERATED ?= api config $(CHART_DIR) docs/configuration.md

.PHONY: verify-generated
verify-generated: manifests generate docs ## Fail when generated files (CRDs, RBAC, deepcopy, chart CRDs, docs/configuration.md) differ from what is committed.
	@if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		echo "Generated files are stale; run 'make manifests generate docs' and commit the result:"; \
		git status --porcelain -- $(GENERATED); git --no-pager diff --stat -- $(GENERATED); exit 1; \
	fi

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

# Fuzz targets run on their seed corpus as part of every `go test`; FUZZTIME
# bounds an explicit fuzzing session per target (make fuzz, hack/fuzz.sh).
FUZZTIME ?= 30s

.PHONY: test
test: manifests generate fmt vet control-plane helm ## Build what is missing, then run every test: unit, fuzz seeds, envtest, chart checks, end-to-end install.
	KUBEBUILDER_ASSETS="$(LOCALBIN)" HELM="$(HELM)" go test ./... -coverprofile cover.out
	# The controllers again, against a Lightrun that answers with the declared
	# alternatives where the operator relies on undeclared statuses.
	KUBEBUILDER_ASSETS="$(LOCALBIN)" LIGHTRUN_EMULATOR_ANSWERS=alternative go test ./internal/controller/...

.PHONY: test-e2e
test-e2e: manifests control-plane helm ## Run only the end-to-end install test (helm install, the manager as the chart runs it, upgrade, uninstall).
	KUBEBUILDER_ASSETS="$(LOCALBIN)" HELM="$(HELM)" go test ./test/e2e/ -count=1 -v

.PHONY: fuzz
fuzz: ## Fuzz every fuzz target of the repository for FUZZTIME each (hack/fuzz.sh finds them).
	FUZZTIME=$(FUZZTIME) hack/fuzz.sh

# N is how many users `make bench` pushes (100,000 takes an hour or more);
# BENCH_FLAGS passes more flags to cmd/bench (go run ./cmd/bench -h lists
# them). OLD and NEW name the two result files `make bench-compare` compares.
N ?= 1000
BENCH_FLAGS ?=

.PHONY: bench
bench: control-plane manifests ## Run the end-to-end benchmark at N users (make bench N=10000): tables to stdout, JSON to bench/results/.
	go run ./cmd/bench -n $(N) -assets "$(LOCALBIN)" -command "make bench N=$(N)$(if $(BENCH_FLAGS), BENCH_FLAGS='$(BENCH_FLAGS)')" $(BENCH_FLAGS)

.PHONY: bench-compare
bench-compare: ## Print the change between two results: make bench-compare OLD=bench/results/a.json NEW=bench/results/b.json
	@if [ -z "$(OLD)" ] || [ -z "$(NEW)" ]; then \
		echo "usage: make bench-compare OLD=bench/results/<old>.json NEW=bench/results/<new>.json"; exit 2; \
	fi
	go run ./cmd/bench compare "$(OLD)" "$(NEW)"

.PHONY: bench-go
bench-go: control-plane ## Run the Go benchmarks (go test -bench), e.g. BenchmarkLargeGroup.
	KUBEBUILDER_ASSETS="$(LOCALBIN)" go test ./... -run '^$$' -bench . -benchmem

.PHONY: lint
lint: golangci-lint ## Run golangci-lint.
	"$(GOLANGCI_LINT)" run

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager and the Lightrun emulator into bin/.
	hack/build-manager.sh "$(LOCALBIN)/manager" "$(VERSION)"
	go build -o "$(LOCALBIN)/lightrun-emulator" ./cmd/lightrun-emulator

.PHONY: run
run: manifests generate fmt vet ## Run the manager against the cluster in the current kubeconfig.
	go run ./cmd

.PHONY: image
image: | $(LOCALBIN) ## Build the manager's OCI image without a container engine into IMAGE_TARBALL (bin/image/…oci.tar).
	GOOS=linux GOARCH="$(IMAGE_ARCH)" hack/build-manager.sh "$(LOCALBIN)/image/manager-linux-$(IMAGE_ARCH)" "$(VERSION)"
	go run ./hack/image --binary "$(LOCALBIN)/image/manager-linux-$(IMAGE_ARCH)" --output "$(IMAGE_TARBALL)" \
		--version "$(VERSION)" --revision "$(REVISION)" --created "$(SOURCE_DATE_EPOCH)"

.PHONY: docker-build
docker-build: ## Build the manager image with a container engine (same binary as `make image`).
	$(CONTAINER_TOOL) build --build-arg VERSION="$(VERSION)" --build-arg REVISION="$(REVISION)" -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push the manager image.
	$(CONTAINER_TOOL) push ${IMG}

.PHONY: build-installer
build-installer: manifests helm ## Render dist/install.yaml (CRDs, RBAC, Deployment) from the Helm chart for kubectl users.
	mkdir -p dist
	"$(HELM)" template lightrun-identity-operator $(CHART_DIR) --namespace lightrun-identity-system --kube-version $(KUBE_VERSION) \
		--set image.repository=$(firstword $(subst :, ,$(IMG))) --set image.tag=$(lastword $(subst :, ,$(IMG))) > dist/install.yaml

##@ Deployment

.PHONY: install
install: manifests kubectl ## Install the CRDs into the cluster in the current kubeconfig.
	"$(KUBECTL)" apply --server-side -f config/crd/bases

.PHONY: uninstall
uninstall: manifests kubectl ## Remove the CRDs from the cluster in the current kubeconfig.
	"$(KUBECTL)" delete --ignore-not-found -f config/crd/bases

.PHONY: chart-lint
chart-lint: manifests helm ## Lint the Helm chart.
	"$(HELM)" lint --strict --kube-version $(KUBE_VERSION) $(CHART_DIR)

##@ Local control plane (built from source, once)

.PHONY: control-plane
control-plane: kube-apiserver etcd kubectl ## Build kube-apiserver, etcd and kubectl from source into bin/ (once; reused after).

# Each binary is built as bin/<name>-<version> and linked as bin/<name>, the
# name envtest looks for in KUBEBUILDER_ASSETS; a version bump in
# hack/tools rebuilds, anything else reuses what is there.
.PHONY: kube-apiserver
kube-apiserver: $(KUBE_APISERVER)-$(KUBE_VERSION) ## Build kube-apiserver into bin/ if missing.
$(KUBE_APISERVER)-$(KUBE_VERSION): | $(LOCALBIN)
	hack/build-control-plane.sh kube-apiserver "$(LOCALBIN)"

.PHONY: kubectl
kubectl: $(KUBECTL)-$(KUBE_VERSION) ## Build kubectl into bin/ if missing.
$(KUBECTL)-$(KUBE_VERSION): | $(LOCALBIN)
	hack/build-control-plane.sh kubectl "$(LOCALBIN)"

.PHONY: etcd
etcd: $(ETCD)-$(ETCD_VERSION) ## Build etcd into bin/ if missing.
$(ETCD)-$(ETCD_VERSION): | $(LOCALBIN)
	hack/build-control-plane.sh etcd "$(LOCALBIN)"

##@ Dependencies

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/ if necessary.
$(CONTROLLER_GEN): | $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: helm
helm: $(HELM) ## Install helm into bin/ if necessary.
$(HELM): | $(LOCALBIN)
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Install golangci-lint into bin/ if necessary.
$(GOLANGCI_LINT): | $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

.PHONY: crd-ref-docs
crd-ref-docs: $(CRD_REF_DOCS) ## Install crd-ref-docs (renders docs/configuration.md) into bin/ if necessary.
$(CRD_REF_DOCS): | $(LOCALBIN)
	$(call go-install-tool,$(CRD_REF_DOCS),github.com/elastic/crd-ref-docs,$(CRD_REF_DOCS_VERSION))

.PHONY: crane
crane: $(CRANE) ## Install crane (pushes the image tarball to a registry) into bin/ if necessary.
$(CRANE): | $(LOCALBIN)
	$(call go-install-tool,$(CRANE),github.com/google/go-containerregistry/cmd/crane,$(CRANE_VERSION))

# go-install-tool installs a Go program from the module proxy into bin/ as
# <name>-<version> and links <name> to it, so a version bump reinstalls.
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Installing $${package} into $(LOCALBIN)" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" GOFLAGS= go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)" ;\
} ;\
ln -sf "$$(realpath "$(1)-$(3)")" "$(1)"
endef
