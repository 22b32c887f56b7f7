// Leaflet.draw's words in Chinese (its L.drawLocal; only the strings this toolbar shows).
// Run before the toolbar is built, which reads L.drawLocal.
(function(){ if (!window.L || !L.drawLocal) { return; } var d = L.drawLocal;
d.draw.toolbar.actions = {title: '取消绘制', text: '取消'};
d.draw.toolbar.finish = {title: '完成绘制', text: '完成'};
d.draw.toolbar.undo = {title: '删除最后一个点', text: '删除最后一点'};
d.draw.toolbar.buttons = {polyline: '画线（廊道、线路）', polygon: '画多边形（用地、片区）',
  rectangle: '画矩形', circle: '画圆', marker: '标点（拟选址）', circlemarker: '标圆点'};
d.draw.handlers.marker.tooltip.start = '点击地图放置点';
d.draw.handlers.polyline.tooltip = {start: '点击开始画线', cont: '点击继续画线',
  end: '点击最后一点结束'};
d.draw.handlers.polyline.error = '<strong>错误：</strong>线不能自相交';
d.draw.handlers.polygon.tooltip = {start: '点击开始画多边形', cont: '点击继续',
  end: '点击第一个点闭合'};
d.draw.handlers.rectangle.tooltip.start = '按住并拖动画矩形';
d.draw.handlers.simpleshape.tooltip.end = '松开鼠标完成';
d.edit.toolbar.actions.save = {title: '保存', text: '保存'};
d.edit.toolbar.actions.cancel = {title: '取消', text: '取消'};
d.edit.toolbar.actions.clearAll = {title: '清除全部未保存的图形', text: '全部清除'};
d.edit.toolbar.buttons = {edit: '编辑', editDisabled: '没有可编辑的图形',
  remove: '删除未保存的图形', removeDisabled: '没有可删除的图形'};
d.edit.handlers.remove.tooltip.text = '点击要删除的图形';
})();
