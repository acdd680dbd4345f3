// The dashboard's charting library: Apache ECharts with only what resources/webui/js/charts.js draws
// (bars, sunburst, the timeline's custom series; grid, tooltip, legend, toolbox, data zoom; label
// overlap hiding; SVG and canvas renderers). Built by build.sh into one plain script that defines the
// global `echarts` as the full build does; the dashboard itself has no build step.
import * as echarts from "echarts/core";
import { BarChart, CustomChart, SunburstChart } from "echarts/charts";
import { DataZoomComponent, GridComponent, LegendComponent, ToolboxComponent, TooltipComponent } from "echarts/components";
import { LabelLayout } from "echarts/features";
import { CanvasRenderer, SVGRenderer } from "echarts/renderers";

echarts.use([
  BarChart, CustomChart, SunburstChart,
  DataZoomComponent, GridComponent, LegendComponent, ToolboxComponent, TooltipComponent,
  LabelLayout,
  CanvasRenderer, SVGRenderer,
]);

export * from "echarts/core";
