/* The DLL `plugin.c` imports: it must be found beside the plugin, as DLLs that plugins
 * ship with are. */
__declspec(dllexport) float vstbridge_test_dependency_gain(void) { return 0.5f; }
