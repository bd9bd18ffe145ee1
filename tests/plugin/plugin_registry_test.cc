#include "plugin/plugin_registry.h"

#include <gtest/gtest.h>

#include <sstream>

namespace lq {
namespace {

const std::filesystem::path kDir = LQ_TEST_PLUGIN_DIR;

std::string reasons(const PluginRegistry& r) {
  std::string s;
  for (const auto& x : r.rejected()) s += x.file.filename().string() + ": " + x.reason + "\n";
  return s;
}

TEST(PluginRegistry, LoadsGoodPluginsWithMetadata) {
  PluginRegistry r;
  r.scan(kDir / "good");
  ASSERT_EQ(r.plugins().size(), 2u) << reasons(r);
  EXPECT_TRUE(r.rejected().empty()) << reasons(r);
  const LoadedPlugin* b = r.find("echo");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->kind, "backend");
  EXPECT_EQ(b->version, "0.1");
  const LoadedPlugin* t = r.find("echo_task");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind, "task");
  ASSERT_EQ(t->commands.size(), 1u);
  EXPECT_STREQ(t->commands[0].name, "echo-args");
}

TEST(PluginRegistry, QuantizedLayersOutliveTheRegistry) {
  std::shared_ptr<Linear> layer, fused;
  {
    PluginRegistry r;
    r.scan(kDir / "good");
    auto backend = r.create_backend("echo");
    Diagnostics diag;
    Params params(json{{"factor", 3.0}}, "", std::make_shared<SourceMap>());
    backend->configure(params, diag);
    ASSERT_TRUE(diag.ok()) << diag.str();
    EXPECT_TRUE(backend->wants("model.layers.0.mlp.up_proj"));
    EXPECT_FALSE(backend->wants("lm_head"));
    layer = backend->quantize("x", at::ones({2, 3}), QuantizeContext{});
    // fuse() reaches the plugin through the registry's proxy.
    fused = backend->fuse({layer, backend->quantize("y", at::ones({4, 3}) * 2, QuantizeContext{})});
    ASSERT_NE(fused, nullptr);
  }
  // The registry and backend are gone; the layers' code must still be mapped.
  EXPECT_EQ(layer->describe(), "scaled");
  at::Tensor y = layer->forward(at::ones({1, 3}));
  EXPECT_FLOAT_EQ(y[0][0].item<float>(), 9.0f);
  EXPECT_EQ(fused->out_features(), 6);
  at::Tensor z = fused->forward(at::ones({1, 3}));
  EXPECT_FLOAT_EQ(z[0][1].item<float>(), 9.0f);
  EXPECT_FLOAT_EQ(z[0][5].item<float>(), 18.0f);
}

TEST(PluginRegistry, RefusesAnotherApiVersionBeforeCallingIt) {
  PluginRegistry r;
  r.scan(kDir / "bad_api");
  EXPECT_TRUE(r.plugins().empty());
  ASSERT_EQ(r.rejected().size(), 1u);
  EXPECT_NE(r.rejected()[0].reason.find("plugin API 999"), std::string::npos) << reasons(r);
}

TEST(PluginRegistry, RefusesPluginWithoutFactory) {
  PluginRegistry r;
  r.scan(kDir / "no_factory");
  EXPECT_TRUE(r.plugins().empty());
  ASSERT_EQ(r.rejected().size(), 1u);
  EXPECT_NE(r.rejected()[0].reason.find("lq_create_backend"), std::string::npos) << reasons(r);
}

TEST(PluginRegistry, RefusesFileThatIsNotALibrary) {
  PluginRegistry r;
  r.scan(kDir / "not_a_library");
  EXPECT_TRUE(r.plugins().empty());
  ASSERT_EQ(r.rejected().size(), 1u);
  EXPECT_NE(r.rejected()[0].reason.find("not a loadable shared library"), std::string::npos) << reasons(r);
}

TEST(PluginRegistry, RefusesSecondPluginOfTheSameName) {
  PluginRegistry r;
  r.scan(kDir / "duplicate");
  ASSERT_EQ(r.plugins().size(), 1u);
  ASSERT_EQ(r.rejected().size(), 1u);
  EXPECT_NE(r.rejected()[0].reason.find("already loaded"), std::string::npos) << reasons(r);
}

TEST(PluginRegistry, UnknownNameAndWrongKindAreClearErrors) {
  PluginRegistry r;
  r.scan(kDir / "good");
  try {
    r.create_backend("ecko");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'echo'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(r.create_backend("echo_task"), Error);
}

TEST(PluginRegistry, RunsAPluginsCommand) {
  PluginRegistry r;
  r.scan(kDir / "good");
  const LoadedPlugin* p = r.find_command("echo-args");
  ASSERT_NE(p, nullptr);
  std::ostringstream out, err;
  EXPECT_EQ(r.run_command(*p, "echo-args", {"a", "b"}, out, err), 7);
  EXPECT_EQ(out.str(), "a;b;");
}

TEST(PluginRegistry, Fp16BaselineKeepsDenseWeightsInTheExperimentDtype) {
  PluginRegistry r;
  r.scan(LQ_PLUGIN_DIR);
  auto backend = r.create_backend("fp16");
  Diagnostics diag;
  backend->configure(Params(json{{"dtype", "float32"}}, "", std::make_shared<SourceMap>()), diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  at::Tensor w = at::randn({4, 8});
  QuantizeContext ctx;
  ctx.activation_dtype = at::kFloat;
  auto layer = backend->quantize("model.layers.0.self_attn.q_proj", w, ctx);
  EXPECT_EQ(layer->bytes(), 4 * 8 * 4);
  at::Tensor x = at::randn({3, 8});
  EXPECT_TRUE(at::allclose(layer->forward(x), at::matmul(x, w.t())));
  ctx.activation_dtype = at::kHalf;
  EXPECT_THROW(backend->quantize("q", w, ctx), Error);

  Diagnostics bad;
  backend->configure(Params(json{{"dtype", "float61"}, {"dtyp", 1}}, "", std::make_shared<SourceMap>()), bad);
  EXPECT_EQ(bad.items().size(), 2u) << bad.str();
}

}  // namespace
}  // namespace lq
